// Every program Headroom starts is started with windowsHide: true. Without it Windows opens a console
// window for each: one for llama-server's whole life, one flashing for each nvidia-smi poll. Read with the
// compiler's parser over src/, including the scripts src/ hands to `node -e` as strings (the watchdog).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import ts from 'typescript';
import { readSources } from '../fixtures/sourceImports';

const REPO = join(__dirname, '..', '..', '..');
const CHILD_PROCESS = new Set(['child_process', 'node:child_process']);
/** child_process's functions that start a program. */
const STARTERS = new Set(['spawn', 'spawnSync', 'execFile', 'execFileSync', 'exec', 'execSync', 'fork']);

interface CallSite {
  readonly file: string;
  readonly line: number;
  readonly call: string;
  readonly hidden: boolean;
}

function isChildProcessModule(node: ts.Expression | undefined): boolean {
  return node !== undefined && ts.isStringLiteralLike(node) && CHILD_PROCESS.has(node.text);
}

/** `require('node:child_process')` */
function isRequireOfChildProcess(node: ts.Expression): boolean {
  return ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require' && isChildProcessModule(node.arguments[0]);
}

/** An options object literal with `windowsHide: true` among the call's arguments. */
function hidesWindow(call: ts.CallExpression): boolean {
  return call.arguments.some(
    (arg) =>
      ts.isObjectLiteralExpression(arg) &&
      arg.properties.some((p) => ts.isPropertyAssignment(p) && p.name.getText() === 'windowsHide' && p.initializer.kind === ts.SyntaxKind.TrueKeyword),
  );
}

/**
 * The calls of child_process's starters in `text`: through names imported from it (aliases included), a
 * namespace or default import of it, a `require` of it, and, recursively, in template strings that are scripts.
 */
function childProcessCalls(file: string, text: string): CallSite[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const direct = new Map<string, string>(); // local name -> starter
  const namespaces = new Set<string>();
  const found: CallSite[] = [];
  const collect = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && isChildProcessModule(node.moduleSpecifier) && node.importClause) {
      const { name, namedBindings } = node.importClause;
      if (name) namespaces.add(name.text);
      if (namedBindings && ts.isNamespaceImport(namedBindings)) namespaces.add(namedBindings.name.text);
      if (namedBindings && ts.isNamedImports(namedBindings)) {
        for (const e of namedBindings.elements) direct.set(e.name.text, (e.propertyName ?? e.name).text);
      }
    }
    if (ts.isVariableDeclaration(node) && node.initializer && isRequireOfChildProcess(node.initializer)) {
      if (ts.isIdentifier(node.name)) namespaces.add(node.name.text);
      else if (ts.isObjectBindingPattern(node.name)) {
        for (const e of node.name.elements) if (ts.isIdentifier(e.name)) direct.set(e.name.text, e.propertyName?.getText() ?? e.name.text);
      }
    }
    ts.forEachChild(node, collect);
  };
  collect(source);
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      let starter: string | undefined;
      if (ts.isIdentifier(callee)) starter = direct.get(callee.text);
      else if (ts.isPropertyAccessExpression(callee) && STARTERS.has(callee.name.text)) {
        const target = callee.expression;
        if ((ts.isIdentifier(target) && namespaces.has(target.text)) || isRequireOfChildProcess(target)) starter = callee.name.text;
      }
      if (starter !== undefined && STARTERS.has(starter)) {
        const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
        found.push({ file, line, call: starter, hidden: hidesWindow(node) });
      }
    }
    if ((ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node)) && /child_process/.test(node.getText(source))) {
      const script = ts.isNoSubstitutionTemplateLiteral(node) ? node.text : node.getText(source).slice(1, -1);
      const at = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      for (const inner of childProcessCalls(`${file} (script)`, script)) found.push({ ...inner, line: at + inner.line });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

test('windowsHide: the scan finds child_process calls however they are imported, and which lack windowsHide: true', () => {
  const sample = [
    "import { spawn as start, execFile } from 'node:child_process';",
    "import * as cp from 'child_process';",
    "start('a', [], { windowsHide: true });",
    "execFile('b', [], { cwd: '/' }, () => undefined);",
    "cp.fork('c', { windowsHide: false });",
    '/x/.exec("not a program");',
    'const script = `',
    "require('node:child_process').execFileSync('d', [], { windowsHide: true });",
    "const { spawnSync } = require('child_process'); spawnSync('e');",
    '`;',
  ].join('\n');
  assert.deepEqual(
    childProcessCalls('sample.ts', sample).map((c) => `${c.line} ${c.call} ${c.hidden ? 'hidden' : 'SHOWN'}`),
    ['3 spawn hidden', '4 execFile SHOWN', '5 fork SHOWN', '8 execFileSync hidden', '9 spawnSync SHOWN'],
  );
});

test('windowsHide: every spawn, execFile and fork in src/ (and in the scripts it runs) hides the window on Windows', () => {
  const calls = [...readSources(REPO, ['src'])].flatMap(([file, text]) => childProcessCalls(file, text));
  const shown = calls.filter((c) => !c.hidden).map((c) => `${c.file}:${c.line} ${c.call}`);
  assert.deepEqual(shown, [], 'these start a program without windowsHide: true');
  const where = calls.map((c) => `${c.file} ${c.call}`);
  // The places programs are started today: a scan that found none of them would prove nothing.
  for (const expected of ['src/extension/common/run.ts execFile', 'src/extension/llama/processLauncher.ts spawn', 'src/extension/llama/processLauncher.ts (script) execFile']) {
    assert.ok(where.includes(expected), `${expected} is among the calls found: ${where.join(', ')}`);
  }
});
