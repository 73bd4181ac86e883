#!/usr/bin/env node
/** The `diten` command. */
import './polyfill.js'
import { DitenError, ErrorCode, describeError } from '../ledger/index.js'
import { UsageError } from './cli/errors.js'
import { RpcError } from './rpc/client.js'
import { VERSION } from './version.js'

const USAGE = `diten ${VERSION}: a permissioned blockchain node for Digital Twin Edge Networks

usage: diten <command> [options]

commands:
  init      create member keys, genesis.json and node configs (one folder, for tests and demos)
  keys      an operator makes its own member key: diten keys new --dir D --name N --p2p ADDR
  genesis   assemble genesis.json from members' public files: diten genesis --members …
  node      run one peer:                 diten node --config <file>
  devnet    run a local multi-node network: diten devnet --nodes 4
  status    show a devnet's nodes:         diten status [--devnet .devnet]
  fl        federated learning on a devnet: diten fl run --rounds 20
  twin      digital twin calls:            diten twin register acme:pump-1 --wait
  chaos     fault injection runs:          diten chaos run crash-restart
  vote      vote for delegates:            diten vote node-1 node-2 --node node-0 --wait
  consensus delegates, stake, reputation:  diten consensus
  member    add or remove members:        diten member propose add --member-file member.json --node node-0
  version   print the version

run "diten <command> --help" for a command's options`

const CONFIG_ERRORS = new Set<string>([
  ErrorCode.CONFIG_INVALID,
  ErrorCode.GENESIS_INVALID,
  ErrorCode.KEYFILE_INVALID,
  ErrorCode.NOT_A_MEMBER,
  ErrorCode.DB_MISMATCH,
])

interface Command {
  help: string
  run(argv: string[]): Promise<number>
}

/** Commands load lazily: `diten status` does not pay for loading libp2p. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  init: async () => import('./cli/init.js').then(m => ({ help: m.initHelp, run: m.runInit })),
  keys: async () => import('./cli/keys.js').then(m => ({ help: m.keysHelp, run: m.runKeys })),
  genesis: async () => import('./cli/genesis.js').then(m => ({ help: m.genesisHelp, run: m.runGenesis })),
  node: async () => import('./cli/run-node.js').then(m => ({ help: m.nodeHelp, run: m.runNode })),
  devnet: async () => import('./cli/devnet.js').then(m => ({ help: m.devnetHelp, run: m.runDevnet })),
  status: async () => import('./cli/status.js').then(m => ({ help: m.statusHelp, run: m.runStatus })),
  fl: async () => import('./cli/fl.js').then(m => ({ help: m.flHelp, run: m.runFlCommand })),
  twin: async () => import('./cli/twin.js').then(m => ({ help: m.twinHelp, run: m.runTwin })),
  chaos: async () => import('./cli/chaos.js').then(m => ({ help: m.chaosHelp, run: m.runChaos })),
  vote: async () => import('./cli/vote.js').then(m => ({ help: m.voteHelp, run: m.runVote })),
  consensus: async () => import('./cli/consensus.js').then(m => ({ help: m.consensusHelp, run: m.runConsensus })),
  member: async () => import('./cli/member.js').then(m => ({ help: m.memberHelp, run: m.runMember })),
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv
  if (cmd !== undefined && Object.hasOwn(COMMANDS, cmd)) {
    const command = await COMMANDS[cmd]!()
    return rest.includes('--help') || rest.includes('-h') ? help(subcommandHelp(command.help, rest[0])) : command.run(rest)
  }
  switch (cmd) {
    case 'version':
    case '--version':
      console.log(VERSION)
      return 0
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      return help(USAGE)
    default:
      throw new UsageError(`unknown command "${cmd}"\n\n${USAGE}`)
  }
}

/**
 * `diten twin sync --help`: the usage line, the subcommand's own block of its command's help (a
 * block starts with the subcommand's name, indented two spaces) and the common options; the whole
 * help for a command without such a block.
 */
export function subcommandHelp(text: string, sub: string | undefined): string {
  if (!sub || sub.startsWith('-')) return text
  const lines = text.split('\n')
  const start = lines.findIndex(l => l.startsWith(`  ${sub} `) || l === `  ${sub}`)
  if (start < 0) return text
  let end = start + 1
  while (end < lines.length && lines[end]!.trim() !== '' && !/^ {2}\S/.test(lines[end]!)) end++
  // the options every subcommand takes, when the help has such a section
  const common = lines.findIndex(l => /^common options/.test(l))
  const shared = common < 0 ? [] : ['', ...lines.slice(common)]
  return [lines[0]!, '', ...lines.slice(start, end), ...shared].join('\n')
}

function help(text: string): number {
  console.log(text)
  return 0
}

main(process.argv.slice(2)).then(
  code => {
    process.exitCode = code
    // libp2p and timers may keep handles alive after a clean stop; the work is done
    setTimeout(() => process.exit(code), 500).unref()
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}`)
      process.exit(2)
    }
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      console.error(`error: ${(e as Error).message}`)
      process.exit(2)
    }
    if (e instanceof DitenError) {
      console.error(`error: ${describeError(e)}`)
      process.exit(CONFIG_ERRORS.has(e.code) ? 2 : 1)
    }
    // a node refused the call: its reason code and message, no stack
    if (e instanceof RpcError) {
      console.error(`error: ${e.reason ?? `RPC ${e.code}`}: ${e.message}`)
      process.exit(1)
    }
    // anything else (a node that cannot be reached, a file that cannot be read): its message; the stack with DITEN_DEBUG=1
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`)
    if (process.env.DITEN_DEBUG && e instanceof Error) console.error(e.stack)
    process.exit(1)
  },
)
