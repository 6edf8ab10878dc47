import { Command, Option } from 'commander';
import { presetNames } from '../../pipeline';
import { quote } from '../../pipeline/errors';
import { defaultThreads } from '../../pipeline/decode-pool-node';
import packageJson from '../../../package.json';
import { EXIT, UsageError } from './errors';
import { evalCommand } from './evaluate';
import { exit, failed, guardProcess } from './exit';
import { infoCommand } from './info';
import { inspectCommand } from './inspect';
import { connectionOptions } from './nats-options';
import { layers, list, realNumber, wholeNumber } from './options';
import { publishCommand } from './publish';
import { quickstartCommand } from './quickstart';
import { scoreCommand, scoringThreads } from './score';
import { streamCommand } from './stream';
import { FIT_ROWS, MAX_TRAINING_ROWS, trainCommand } from './train';

const interrupt = new AbortController();

/** Seeds are 32-bit: a larger one would give the same generator as another. */
const SEEDS = 2 ** 32 - 1;
const DAY_SECONDS = 86_400;
/** The longest interval a Node timer keeps (2^31 − 1 ms); a longer one fires at once. */
const TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

function program(): Command {
  const netae = new Command('netae')
    .description('Autoencoders that flag anomalous network traffic, trained and run on the GPU through WebGPU')
    .version(packageJson.version)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'netae: ')) })
    .exitOverride();

  netae.command('train')
    .description('fit the feature pipeline and an autoencoder on the normal rows of a file, pick a threshold, write the model')
    .requiredOption('--data <file>', 'training data: CSV, TSV, Zeek conn.log, Arrow or Parquet, gzip or not; - for standard input')
    .requiredOption('--out <model>', 'model file to write (.safetensors)')
    .option('--preset <name>', `columns' roles from a preset: ${presetNames.join(', ')}`)
    .option('--label <column>', 'label column (without a preset)')
    .option('--normal <value>', 'label value of normal rows (repeatable; * matches any text)', list)
    .option('--attack <value>', 'label value of attack rows (repeatable; * matches any text): rows of other labels are left out, neither normal nor attacks (default: every other label is an attack)', list)
    .option('--drop <columns>', 'columns that are not features, comma-separated', list)
    .option('--category <columns>', 'columns to one-hot encode (others are detected from the data)', list)
    .option('--log1p <columns>', 'heavy-tailed numeric columns to put through log1p', list)
    .option('--names <file>', 'column names (one per line, all on one line, a UCI .names file, or a table with a Name column) for a file without a header, or to replace its header')
    .option('--no-header', 'with --names: the first row is a record even where it holds no number (unless it is those names)')
    .option('--attack-category <column>', "column naming each attack's category (attack_cat, type), or none: eval reports detections per category; never a feature")
    .option('--layers <spec>', 'layer spec: deep, seed, or widths like 122-64-32-16-32-64-122 (default: deep)', layers)
    .option('--epochs <n>', 'epochs at most (default 20)', wholeNumber())
    .option('--batch <n>', 'batch size (default 256)', wholeNumber())
    .option('--lr <x>', 'Adam learning rate (default 1e-3)', realNumber(0, 10, true))
    .option('--weight-decay <x>', 'Adam weight decay (default 0)', realNumber(0, 10))
    .option('--seed <n>', 'seed of initialisation, split and shuffle (default 1)', wholeNumber(0, SEEDS))
    .option('--validation <fraction>', 'share of normal rows held out (default 0.1, more for a small file: enough for 1,000 rows, at most 0.3)', realNumber(0, 0.9))
    .option('--max-rows <n>', `rows read for fitting and training at most: of a longer file, a uniform sample of this many, drawn by --seed (default ${MAX_TRAINING_ROWS.toLocaleString('en-US')})`, wholeNumber(1))
    .option('--fit-rows <n>', `rows the features are fitted on at most: of a larger sample, the uniform sample of this many; the training rows are then read again (default ${FIT_ROWS.toLocaleString('en-US')})`, wholeNumber(1))
    .option('--patience <n>', 'epochs without a better validation loss before stopping; 0 never (default 5)', wholeNumber(0))
    .addOption(new Option('--scaling <kind>', 'numeric scaling, fitted on normal rows (default robust)').choices(['robust', 'minmax', 'standard']))
    .option('--bound <x>', 'bound on scaled numeric values, in units of the scaling (default 3)', realNumber(1e-6, 1e6))
    .addOption(new Option('--row-score <kind>', 'a row\'s score from its features\' weighted squared errors: their mean (squared, the default), or the mean of log(1 + e/(20·u)) (student-t)').choices(['squared', 'student-t']))
    .option('--threads <n>', 'at most this many threads decoding the records, no more than the cores (default: the cores less one)', wholeNumber())
    .addOption(new Option('--threshold-mode <mode>', 'how to pick the threshold (default fpr 0.01)').choices(['fpr', 'percentile', 'mad', 'best-f1', 'fixed']))
    .option('--fpr <x>', 'flag this fraction of held-out normal rows (default 0.01)', realNumber(1e-9, 0.5))
    .option('--percentile <p>', 'percentile of held-out normal scores', realNumber(0, 100))
    .option('--mad <k>', 'median + k·MAD of held-out normal scores (default k 3 with --threshold-mode mad)', realNumber(0, 1e6))
    .option('--threshold <x>', 'a fixed threshold (implies --threshold-mode fixed)', realNumber(0))
    .option('--json', 'print the summary as JSON')
    .action((flags) => trainCommand(flags, interrupt.signal));

  netae.command('score')
    .description('score records with a model: row, score, flag (and label, kept columns, explanations) as CSV or JSON lines')
    .argument('[data]', 'records to score, or - for standard input (or --data)')
    .requiredOption('--model <model>', 'model file written by netae train')
    .option('--data <file>', 'records to score, or - for standard input')
    .option('--out <file>', 'file to write (CSV, or JSON lines with --format jsonl), or - for standard output', '-')
    .option('--chunk <rows>', 'rows scored at a time (default 8,192)', wholeNumber())
    .option('--threads <n>', `at most this many threads decoding the records (no more than the cores), a quarter as many again writing the output (default: three fifths of the cores less one, here ${scoringThreads()})`, wholeNumber())
    .option('--threshold <x>', "flag scores ≥ X instead of the model's threshold", realNumber(0))
    .option('--fpr <x>', "flag this fraction of the model's held-out normal rows instead", realNumber(1e-9, 0.5))
    .addOption(new Option('--format <format>', 'csv, or jsonl: one JSON object per record').choices(['csv', 'jsonl']).default('csv'))
    .option('--keep <columns>', 'input columns copied into the output, comma-separated, or none (default for zeek-conn models: uid, ts, id.orig_h, id.orig_p, id.resp_h, id.resp_p)', list)
    .option('--only-flagged', "write only the flagged rows (numbered as in the input)")
    .option('--explain <k>', 'add the k columns with the largest share of each row\'s score', wholeNumber())
    .option('--quiet', 'no progress, threshold or summary on standard error')
    .action((data: string | undefined, flags) => {
      return scoreCommand({ ...flags, data: oneInput('score', 'records to score', data, flags.data) });
    });

  connectionOptions(netae.command('stream')
    .description('a worker: score the records of a NATS JetStream subject and publish one result per record, until SIGTERM')
    .requiredOption('--model <model>', 'model file written by netae train')
    .requiredOption('--input <subject>', 'subject of the records to score (a stream stores it; created when none does)')
    .requiredOption('--output <subject>', 'subject for the results: one JSON line per record, one message per input message')
    .option('--alerts <subject>', 'subject for the results of flagged records too')
    .option('--dead-letter <subject>', 'subject for messages that cannot be decoded, with the reason', 'netae.dead-letter')
    .option('--consumer <name>', 'durable consumer shared by the workers', 'netae')
    .addOption(new Option('--format <format>', 'records in a message, one per line').choices(['json', 'zeek', 'csv', 'tsv']).default('json'))
    .option('--names <file>', 'field names of zeek, csv or tsv lines, in a names file as train reads one (default: the model\'s, for a headerless preset)')
    .option('--keep <columns>', 'input columns each result carries, comma-separated, or none (default for zeek-conn models: uid, ts, id.orig_h, id.orig_p, id.resp_h, id.resp_p)', list)
    .option('--batch <records>', 'records pulled and scored at a time (default 8,192)', wholeNumber())
    .option('--in-flight <batches>', 'batches between pull and acknowledgement at most (default 2)', wholeNumber())
    .option('--ack-wait <seconds>', 'redeliver a message not acknowledged in this time, for a consumer created here (default 30)', wholeNumber(1, DAY_SECONDS * 365))
    .option('--status-interval <seconds>', 'seconds between status lines when standard error is not a terminal (default 10)', wholeNumber(1, TIMER_SECONDS))
    .option('--quiet', 'no status lines'))
    .action((flags) => streamCommand(flags));

  connectionOptions(netae.command('publish')
    .description('put the records of a file on a NATS JetStream subject, for netae stream workers')
    .argument('[data]', 'records to publish, or - for standard input (or --data)')
    .requiredOption('--subject <subject>', 'subject to publish to (a stream stores it; created when none does)')
    .option('--data <file>', 'records to publish, or - for standard input')
    .addOption(new Option('--format <format>', 'how records travel, one per line').choices(['json', 'zeek', 'csv', 'tsv']).default('json'))
    .option('--per-message <records>', 'records per message (default 1)', wholeNumber())
    .option('--preset <name>', `read the file as this preset's files are read: ${presetNames.join(', ')}`)
    .option('--names <file>', 'column names (one per line, all on one line, a UCI .names file, or a table with a Name column) for a file without a header, or to replace its header')
    .option('--no-header', 'with --names: the first row is a record even where it holds no number (unless it is those names)')
    .option('--json', 'print the summary (stream, sequences) as JSON')
    .option('--quiet', 'no progress or summary'))
    .action((data: string | undefined, flags) => {
      return publishCommand({ ...flags, data: oneInput('publish', 'records', data, flags.data) });
    });

  netae.command('eval')
    .description('measure a model on labelled records: precision, recall, F1, ROC-AUC, PR-AUC, per category')
    .requiredOption('--model <model>', 'model file written by netae train')
    .requiredOption('--data <file>', 'labelled records')
    .option('--json <file>', 'also write the metrics as JSON (- for standard output only)')
    .option('--threshold <x>', "measure at threshold X instead of the model's", realNumber(0))
    .option('--fpr <x>', "measure at the threshold that flags this fraction of the model's held-out normal rows", realNumber(1e-9, 0.5))
    .option('--threads <n>', 'at most this many threads decoding the records, no more than the cores (default: the cores less one)', wholeNumber())
    .action((flags) => evalCommand(flags));

  netae.command('inspect')
    .description('what a model file holds: layers, features, threshold and how it was chosen, training data, repairs')
    .argument('<model>', 'model file written by netae train')
    .option('--json', 'as JSON')
    .action((model: string, flags) => inspectCommand(model, flags));

  netae.command('info')
    .description('the WebGPU adapter (name, backend, limits, features) and versions')
    .option('--json', 'as JSON')
    .action((flags) => infoCommand(flags));

  netae.command('quickstart')
    .description('train on the bundled synthetic traffic and evaluate, or on a data set with --data DIR --preset NAME')
    .option('--data <dir>', 'a folder holding a data set (NSL-KDD: KDDTrain+.txt and KDDTest+.txt)')
    .option('--preset <name>', 'the data set in --data: nsl-kdd or unsw-nb15')
    .option('--out <model>', 'also write the model file')
    .option('--epochs <n>', 'epochs at most (default 20)', wholeNumber())
    .option('--seed <n>', 'seed (default 1)', wholeNumber(0, SEEDS))
    .option('--json', 'print the results as JSON')
    .action((flags) => quickstartCommand(flags, interrupt.signal));

  return netae;
}

/** The records a command reads, given as its argument or as --data: exactly one of them. */
function oneInput(command: string, what: string, argument: string | undefined, flag: string | undefined): string {
  if (argument !== undefined && flag !== undefined) throw new UsageError(`${command} takes the ${what} once: ${quote(argument)} or --data ${quote(flag)}, not both`);
  const data = argument ?? flag;
  if (data === undefined) throw new UsageError(`${command} needs the ${what}: a file, or - for standard input`);
  return data;
}

async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    return failed(error);
  }
}

guardProcess(interrupt);
await exit(await main(process.argv));
