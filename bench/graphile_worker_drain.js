// Drains N no-op jobs with graphile-worker (the best-known PostgreSQL job queue), for
// bench/queue_compare.sh: enqueue N jobs in one transaction, then time a worker with
// the given concurrency until every job succeeded. Prints "items=N seconds=S items_per_s=R".
//   node graphile_worker_drain.js CONNECTION_STRING N CONCURRENCY [default|batched]
// batched: graphile-worker's local queue (jobs fetched LOCAL_QUEUE at a time) and batched
// job completions (completeJobBatchDelay 0), its fastest configuration.
const { run, runMigrations } = require("graphile-worker");
const { Client } = require("pg");

async function main() {
  const [connectionString, countText, concurrencyText, mode = "default"] = process.argv.slice(2);
  const count = Number(countText);
  const concurrency = Number(concurrencyText);
  const batched = mode === "batched";
  await runMigrations({ connectionString, logger: quietLogger() });
  const client = new Client({ connectionString });
  await client.connect();
  await client.query("BEGIN");
  for (let i = 0; i < count; i += 500) {
    const n = Math.min(500, count - i);
    await client.query(
      "SELECT graphile_worker.add_job('noop', json_build_object('n', g)) FROM generate_series($1::int, $2::int) g",
      [i, i + n - 1]);
  }
  await client.query("COMMIT");
  await client.end();

  let done = 0;
  const started = process.hrtime.bigint();
  const runner = await run({
    connectionString,
    concurrency,
    noHandleSignals: true,
    pollInterval: 50,
    logger: quietLogger(),
    taskList: { noop: async () => {} },
    ...(batched
      ? { preset: { worker: { localQueue: { size: Number(process.env.LOCAL_QUEUE || 100) },
                              completeJobBatchDelay: 0, failJobBatchDelay: 0 } } }
      : {}),
  });
  await new Promise((resolve) => {
    runner.events.on("job:success", () => {
      if (++done === count) resolve();
    });
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await runner.stop();
  console.log(`items=${count} seconds=${seconds.toFixed(3)} items_per_s=${Math.round(count / seconds)}`);
}

function quietLogger() {
  const { Logger } = require("graphile-worker");
  return new Logger(() => () => {});
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
