// The `moonscope` command line.
import { describeError } from "../server-core/errors";
import { serveCommand, SERVE_HELP } from "./serve";

const HELP = `Usage: moonscope <command> [options]

Commands:
  serve <app.lua>     run a Lua app on the multi-worker server

Run \`moonscope <command> --help\` for a command's options.
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "serve":
      return serveCommand(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(HELP + "\n" + SERVE_HELP);
      return 0;
    default:
      process.stderr.write(`error MS_ERR_USAGE: unknown command "${cmd}"\n\n${HELP}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(describeError(e) + "\n");
    process.exit((e as { code?: string }).code === "MS_ERR_USAGE" ? 2 : 1);
  },
);
