/** The CLI talks to the user on stderr; stdout carries only the command's result (a reply, JSON, a path). */
export const say = (line: string): void => void process.stderr.write(`${line}\n`);

/** llama-server's own output, echoed indented when HEADROOM_VERBOSE is set. */
export function echoServerLines(): ((line: string) => void) | undefined {
  return process.env.HEADROOM_VERBOSE ? (line) => say(`  | ${line}`) : undefined;
}
