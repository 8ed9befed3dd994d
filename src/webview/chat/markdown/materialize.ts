import { CODE_ACTIONS, type CodeAction } from '../../protocol/chat';
import { createIconButton } from '../../ui/toolkit';
import type { MdCodeBlock, MdNode } from './tree';

export interface RenderActions {
  codeAction(action: CodeAction, code: string, language: string): void;
  openLink(href: string): void;
}

/**
 * The tree (already an allow-list, see toTree.ts) becomes DOM through createElement, textContent and
 * className only: no innerHTML, no attribute copied from the model, no href or src anywhere. Links are
 * buttons-in-disguise that ask the host; images are text placeholders.
 */
export function materialize(nodes: readonly MdNode[], actions: RenderActions, parent: Node = document.createDocumentFragment()): Node {
  for (const node of nodes) parent.appendChild(materializeNode(node, actions));
  return parent;
}

function materializeNode(node: MdNode, actions: RenderActions): Node {
  switch (node.kind) {
    case 'text':
      return document.createTextNode(node.text);
    case 'element': {
      const element = document.createElement(node.tag);
      if (node.className) element.className = node.className;
      if (node.start !== undefined && element instanceof HTMLOListElement) element.start = node.start;
      materialize(node.children, actions, element);
      return element;
    }
    case 'link': {
      const link = document.createElement('a');
      link.className = 'md-link';
      link.dataset.testid = 'md-link';
      link.tabIndex = 0;
      link.setAttribute('role', 'link');
      link.title = node.href;
      const open = (event: Event) => {
        event.preventDefault();
        actions.openLink(node.href);
      };
      link.addEventListener('click', open);
      link.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') open(event);
      });
      materialize(node.children, actions, link);
      return link;
    }
    case 'image': {
      const placeholder = document.createElement('span');
      placeholder.className = 'md-image-blocked';
      placeholder.dataset.testid = 'md-image-blocked';
      placeholder.textContent = `[image${node.alt ? ` “${node.alt}”` : ''} from ${node.source} not loaded]`;
      return placeholder;
    }
    case 'codeBlock':
      return codeBlock(node, actions);
  }
}

function codeBlock(node: MdCodeBlock, actions: RenderActions): HTMLElement {
  const wrapper = document.createElement('div');
  wrapper.className = 'code-block';
  wrapper.dataset.testid = 'code-block';
  if (node.language) wrapper.dataset.language = node.language;
  const bar = document.createElement('div');
  bar.className = 'code-toolbar';
  const language = document.createElement('span');
  language.className = 'code-language';
  language.textContent = node.language || 'text';
  bar.append(language);
  bar.setAttribute('role', 'toolbar');
  bar.setAttribute('aria-label', `${node.language || 'text'} code`);
  for (const [action, { icon, label }] of Object.entries(CODE_ACTIONS) as Array<[CodeAction, (typeof CODE_ACTIONS)[CodeAction]]>) {
    bar.append(createIconButton({ icon, label, testId: `code-${action}`, onClick: () => actions.codeAction(action, node.code, node.language) }));
  }
  const pre = document.createElement('pre');
  const code = document.createElement('code');
  code.className = 'hljs';
  materialize(node.highlighted, actions, code);
  pre.append(code);
  wrapper.append(bar, pre);
  return wrapper;
}
