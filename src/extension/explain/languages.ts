/** Language ids (VS Code's) -> a name for prompts and the syntax of a comment in that language. */

export interface CommentSyntax {
  /** Prefix of a line comment, e.g. '//' */
  line?: string;
  /** Opening and closing marks of a block comment, e.g. ['/*', '*\/'] */
  block?: readonly [string, string];
}

const C_LIKE: CommentSyntax = { line: '//', block: ['/*', '*/'] };
const HASH: CommentSyntax = { line: '#' };
const DASHES: CommentSyntax = { line: '--' };
const SEMI: CommentSyntax = { line: ';' };
const PERCENT: CommentSyntax = { line: '%' };
const XML: CommentSyntax = { block: ['<!--', '-->'] };

const SYNTAX: Record<string, CommentSyntax> = {
  c: C_LIKE, cpp: C_LIKE, csharp: C_LIKE, cuda: C_LIKE, 'cuda-cpp': C_LIKE, dart: C_LIKE, go: C_LIKE, groovy: C_LIKE,
  java: C_LIKE, javascript: C_LIKE, javascriptreact: C_LIKE, typescript: C_LIKE, typescriptreact: C_LIKE,
  jsonc: C_LIKE, kotlin: C_LIKE, 'objective-c': C_LIKE, 'objective-cpp': C_LIKE, php: C_LIKE, rust: C_LIKE,
  scala: C_LIKE, swift: C_LIKE, zig: { line: '//' }, glsl: C_LIKE, hlsl: C_LIKE, wgsl: { line: '//' }, proto: C_LIKE,
  solidity: C_LIKE, less: C_LIKE, scss: C_LIKE, sass: { line: '//' }, stylus: C_LIKE, fsharp: { line: '//', block: ['(*', '*)'] },
  css: { block: ['/*', '*/'] },
  python: HASH, shellscript: HASH, ruby: HASH, perl: HASH, r: HASH, yaml: HASH, toml: HASH, dockerfile: HASH,
  makefile: HASH, cmake: HASH, powershell: { line: '#', block: ['<#', '#>'] }, coffeescript: HASH, elixir: HASH,
  julia: HASH, nim: HASH, properties: HASH, ini: { line: ';' }, graphql: HASH, terraform: HASH, nix: HASH, gdscript: HASH,
  sql: DASHES, lua: DASHES, haskell: DASHES, elm: DASHES, ada: DASHES, vhdl: DASHES,
  clojure: SEMI, lisp: SEMI, scheme: SEMI, racket: SEMI, asm: SEMI,
  latex: PERCENT, tex: PERCENT, erlang: PERCENT, matlab: PERCENT, prolog: PERCENT,
  html: XML, xml: XML, xsl: XML, markdown: XML, vue: XML, svelte: XML, razor: { block: ['@*', '*@'] },
  bat: { line: 'REM' }, vb: { line: "'" }, fortran: { line: '!' }, 'fortran-modern': { line: '!' }, vim: { line: '"' },
  ocaml: { block: ['(*', '*)'] },
};

const NAMES: Record<string, string> = {
  c: 'C', cpp: 'C++', csharp: 'C#', 'cuda-cpp': 'CUDA C++', go: 'Go', java: 'Java', javascript: 'JavaScript',
  javascriptreact: 'JavaScript (JSX)', typescript: 'TypeScript', typescriptreact: 'TypeScript (TSX)', kotlin: 'Kotlin',
  'objective-c': 'Objective-C', php: 'PHP', rust: 'Rust', scala: 'Scala', swift: 'Swift', python: 'Python',
  shellscript: 'shell script', ruby: 'Ruby', perl: 'Perl', r: 'R', yaml: 'YAML', toml: 'TOML', dockerfile: 'Dockerfile',
  makefile: 'Makefile', cmake: 'CMake', powershell: 'PowerShell', sql: 'SQL', lua: 'Lua', haskell: 'Haskell',
  html: 'HTML', xml: 'XML', css: 'CSS', scss: 'SCSS', markdown: 'Markdown', json: 'JSON', jsonc: 'JSON with comments',
  dart: 'Dart', elixir: 'Elixir', erlang: 'Erlang', julia: 'Julia', zig: 'Zig', latex: 'LaTeX', vue: 'Vue', bat: 'Batch',
  fsharp: 'F#', ocaml: 'OCaml', clojure: 'Clojure', vb: 'Visual Basic', fortran: 'Fortran', matlab: 'MATLAB',
};

export function languageName(languageId: string): string {
  return NAMES[languageId] ?? languageId;
}

/** Undefined for languages without comments (JSON, plain text). */
export function commentSyntax(languageId: string): CommentSyntax | undefined {
  return SYNTAX[languageId];
}

/** Tag for a fenced code block; VS Code ids mostly work, a few need the common name. */
export function fenceTag(languageId: string): string {
  const tags: Record<string, string> = { shellscript: 'sh', typescriptreact: 'tsx', javascriptreact: 'jsx', 'cuda-cpp': 'cuda', csharp: 'cs', plaintext: '' };
  return tags[languageId] ?? languageId;
}
