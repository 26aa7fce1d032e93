/** Configuration of the operator tools (health, status, dlq, offsets, reconcile): the union of both processes' connection settings. */
import { kafkaVars, pgVars, scyllaVars } from './common-vars.js';
import { connectionProblems } from './connection-checks.js';
import { z } from 'zod';
import { commaList, defineVar, loadConfig, str, url, type ConfigOf, type FileReader } from './spec.js';
import { sinkVars } from './sink-config.js';
import { sourceVars } from './source-config.js';
import { tableMapCheck } from './table-map-var.js';

const urlList = commaList.pipe(z.array(url(['http:', 'https:'])));

export const toolsVars = {
  ...scyllaVars,
  // Tools act on any table; the pipeline's list is a default, not a requirement.
  scyllaTables: defineVar({ env: 'SCYLLA_TABLES', schema: commaList, description: 'tables the pipeline replicates, comma list keyspace.table' }),
  ...kafkaVars,
  ...pgVars,
  sourceName: sourceVars.sourceName,
  sinkGroupId: sinkVars.sinkGroupId,
  // `dlq replay` and `offsets import` act only on the topics the sink consumes.
  sinkTopics: sinkVars.sinkTopics,
  dlqTopic: sinkVars.dlqTopic,
  // `reconcile --repair` removes rows the way the sink does.
  sinkDeleteMode: sinkVars.sinkDeleteMode,
  // `reconcile` compares (and repairs) the table the sink writes, with the columns it writes.
  sinkTableMap: sinkVars.sinkTableMap,
  sinkExcludeColumns: sinkVars.sinkExcludeColumns,
  logLevel: defineVar({ env: 'LOG_LEVEL', schema: str, default: 'warn', description: 'log level of the tools' }),
  sourceStatusUrl: defineVar({
    env: 'SOURCE_STATUS_URL',
    schema: urlList,
    default: 'http://127.0.0.1:9101',
    description: 'metrics endpoints of running source processes (comma list) for health/status',
  }),
  sinkStatusUrl: defineVar({
    env: 'SINK_STATUS_URL',
    schema: urlList,
    default: 'http://127.0.0.1:9102',
    description: 'metrics endpoints of running sink processes (comma list) for health/status',
  }),
};

export type ToolsConfig = ConfigOf<typeof toolsVars>;

export function loadToolsConfig(env: Record<string, string | undefined> = process.env, readFile?: FileReader): ToolsConfig {
  return loadConfig(toolsVars, env, readFile, (cfg) => [...connectionProblems(cfg), ...tableMapCheck(cfg)]);
}
