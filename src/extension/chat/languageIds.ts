/** A fence's language -> the VS Code language id for "Open in new file" (unknown ones stay as written). */
const IDS: Record<string, string> = {
  js: 'javascript', jsx: 'javascriptreact', mjs: 'javascript', cjs: 'javascript', node: 'javascript',
  ts: 'typescript', tsx: 'typescriptreact', mts: 'typescript', cts: 'typescript',
  py: 'python', python3: 'python', sh: 'shellscript', bash: 'shellscript', zsh: 'shellscript', shell: 'shellscript', console: 'shellscript',
  html: 'html', htm: 'html', xml: 'xml', svg: 'xml', 'c++': 'cpp', cc: 'cpp', hpp: 'cpp', h: 'c',
  cs: 'csharp', 'c#': 'csharp', rs: 'rust', golang: 'go', yml: 'yaml', md: 'markdown', patch: 'diff',
  jsonc: 'jsonc', json5: 'json', text: 'plaintext', txt: 'plaintext', '': 'plaintext',
};

export function vscodeLanguageId(fenceLanguage: string): string {
  return IDS[fenceLanguage] ?? fenceLanguage;
}
