// DuckDB side of the query benchmark (bench/query/run), through DuckDB's Node API.
//
//   node duckdb_query.mjs load DB EVENTS_CSV CATEGORIES_CSV
//       Builds the DuckDB copy of a Cairn case once (not timed by the benchmark): tables `events`
//       (exported from the case's events table) and `cats` (source_id, category).
//   node duckdb_query.mjs raw QUERY RUNS ANSWER LISTS_DIR [USER]
//       The query over the raw evidence files (LISTS_DIR/{cloudtrail,s3_access,apache_access}.list,
//       one path a line): read_json / read_csv with a regexp extract; nothing stored.
//   node duckdb_query.mjs case QUERY RUNS ANSWER DB [USER]
//       The same query over the DuckDB copy of the case.
//
// QUERY is status (per-minute counts of HTTP status > 400, S3 + Apache access), keyerrors
// (per-minute count of S3 lines with the word InvalidAccessKeyID), users (CloudTrail events per
// userIdentity.userName) or user (one user's CloudTrail events per sourceIPAddress). Each query runs
// RUNS times in one process; stdout gets "seconds T1 T2 ..." and "cpu C1 C2 ..." (query time only:
// Node start-up and opening the database are not counted) and ANSWER the result in the benchmark's canonical form:
// one row a line, blank-separated, sorted; minutes as YYYY-MM-DDTHH:MM (UTC), a null user as (null).
import { readFileSync, writeFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const [mode, ...args] = process.argv.slice(2);
const quote = (s) => `'${String(s).replaceAll("'", "''")}'`;
const listOf = (dir, name) =>
  `[${readFileSync(`${dir}/${name}.list`, 'utf8').split('\n').filter((l) => l).map(quote).join(',')}]`;
// One VARCHAR column per line: no splitting, no quoting (\x01 never occurs in these logs).
const lines = (list) =>
  `read_csv(${list}, delim='\\x01', quote='', escape='', header=false, columns={'line':'VARCHAR'}, ` +
  `auto_detect=false, ignore_errors=true)`;
const minute = (tsExpr) => `strftime(${tsExpr}, '%Y-%m-%dT%H:%M')`;
// The bracketed time of S3 and Apache lines, to the minute: [14/Mar/2024:14:04:03 +0000].
const lineMinute = `${minute("strptime(regexp_extract(line, '\\[([0-9]{2}/[A-Za-z]{3}/[0-9]{4}:[0-9]{2}:[0-9]{2})', 1), '%d/%b/%Y:%H:%M')")}`;
const caseMinute = minute('make_timestamp((ts // 60000) * 60000000)');
const inCategories = (...c) =>
  `source_id IN (SELECT source_id FROM cats WHERE category IN (${c.map(quote).join(',')}))`;

function rawQuery(name, dir, user) {
  const records = () =>
    `(SELECT unnest(Records) AS r FROM read_json(${listOf(dir, 'cloudtrail')}, ` +
    `columns={'Records':'JSON[]'}, maximum_object_size=1073741824))`;
  switch (name) {
    case 'status': {
      const list = `[${[listOf(dir, 's3_access'), listOf(dir, 'apache_access')].map((l) => l.slice(1, -1)).join(',')}]`;
      return `SELECT m, s, count(*) FROM (SELECT ${lineMinute} AS m, ` +
        `regexp_extract(line, 'HTTP/1\\.1" ([^ ]*) ', 1) AS s FROM ${lines(list)}) ` +
        `WHERE TRY_CAST(s AS INTEGER) > 400 GROUP BY ALL`;
    }
    case 'keyerrors':
      return `SELECT ${lineMinute} AS m, count(*) FROM ${lines(listOf(dir, 's3_access'))} ` +
        `WHERE regexp_matches(line, '(?i)\\bInvalidAccessKeyID\\b') GROUP BY ALL`;
    case 'users':
      return `SELECT coalesce(r->'userIdentity'->>'userName', '(null)') AS u, count(*) ` +
        `FROM ${records()} GROUP BY ALL`;
    case 'user':
      return `SELECT r->>'sourceIPAddress' AS ip, count(*) FROM ${records()} ` +
        `WHERE r->'userIdentity'->>'userName' = ${quote(user)} GROUP BY ALL`;
  }
  throw new Error(`unknown query '${name}'`);
}

// On the case: the typed columns Cairn's ingest filled (status, error_code) where they answer the
// question exactly, the compact JSON of the record (raw) for the CloudTrail user name.
function caseQuery(name, user) {
  switch (name) {
    case 'status':
      // Not the status column: it also holds lines whose request is not `... HTTP/1.1"`, which
      // the query's parse drops.
      return `SELECT m, s, count(*) FROM (SELECT ${caseMinute} AS m, ` +
        `regexp_extract(raw, 'HTTP/1\\.1" ([^ ]*) ', 1) AS s FROM events WHERE ` +
        `${inCategories('S3/Access', 'Apache/Access')}) WHERE TRY_CAST(s AS INTEGER) > 400 GROUP BY ALL`;
    case 'keyerrors':
      return `SELECT ${caseMinute} AS m, count(*) FROM events WHERE ${inCategories('s3_aws_logs')} ` +
        `AND error_code = 'InvalidAccessKeyId' GROUP BY ALL`;
    case 'users':
      return `SELECT coalesce(json_extract_string(raw, '$.userIdentity.userName'), '(null)') AS u, count(*) FROM events ` +
        `WHERE ${inCategories('CloudTrail')} GROUP BY ALL`;
    case 'user':
      return `SELECT json_extract_string(raw, '$.sourceIPAddress') AS ip, count(*) FROM events WHERE ` +
        `${inCategories('CloudTrail')} AND json_extract_string(raw, '$.userIdentity.userName') = ${quote(user)} GROUP BY ALL`;
  }
  throw new Error(`unknown query '${name}'`);
}

async function timed(connection, sql, runs, answerPath) {
  const seconds = [];
  const cpu = [];
  let rows = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    const reader = await connection.runAndReadAll(sql);
    rows = reader.getRows();
    seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1e6);
  }
  const text = rows.map((row) => row.map((v) => String(v)).join(' ')).sort();
  writeFileSync(answerPath, text.length ? text.join('\n') + '\n' : '');
  console.log(`seconds ${seconds.map((s) => s.toFixed(3)).join(' ')}`);
  console.log(`cpu ${cpu.map((s) => s.toFixed(3)).join(' ')}`);
}

if (mode === 'load') {
  const [db, eventsCsv, catsCsv] = args;
  const instance = await DuckDBInstance.create(db);
  const connection = await instance.connect();
  await connection.run(
    `CREATE OR REPLACE TABLE events AS SELECT * FROM read_csv(${quote(eventsCsv)}, header=true, ` +
      `quote='"', escape='"', auto_detect=false, columns={'id':'BIGINT','ts':'BIGINT',` +
      `'source_id':'BIGINT','source_type':'VARCHAR','status':'INTEGER','error_code':'VARCHAR',` +
      `'actor_name':'VARCHAR','source_ip':'VARCHAR','raw':'VARCHAR'}, max_line_size=67108864)`,
  );
  await connection.run(
    `CREATE OR REPLACE TABLE cats AS SELECT * FROM read_csv(${quote(catsCsv)}, header=true, ` +
      `auto_detect=false, columns={'source_id':'BIGINT','category':'VARCHAR'})`,
  );
  await connection.run('CHECKPOINT');
  const reader = await connection.runAndReadAll('SELECT count(*) FROM events');
  console.log(`events ${reader.getRows()[0][0]}`);
} else if (mode === 'raw' || mode === 'case') {
  const [name, runs, answer, where, user] = args;
  const instance = await DuckDBInstance.create(mode === 'case' ? where : ':memory:',
    mode === 'case' ? { access_mode: 'READ_ONLY' } : {});
  const connection = await instance.connect();
  const sql = mode === 'raw' ? rawQuery(name, where, user) : caseQuery(name, user);
  await timed(connection, sql, Number(runs), answer);
} else {
  console.error('usage: node duckdb_query.mjs load DB EVENTS_CSV CATS_CSV | raw|case QUERY RUNS ANSWER LISTS_DIR|DB [USER]');
  process.exit(2);
}
