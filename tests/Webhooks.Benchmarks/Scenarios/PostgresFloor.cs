using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Npgsql;
using NpgsqlTypes;
using Webhooks.Benchmarks.Harness;

namespace Webhooks.Benchmarks.Scenarios;

/// <summary>
/// <c>pgfloor</c> (not in <c>all</c>): what ANY durable PostgreSQL-backed sender reaches on this machine.
/// Two hand-written minimal durable queues (one table <c>q</c> + an unindexed <c>attempts</c> table, default
/// durability, a fresh database per round) publish from 16 callers and deliver at concurrency 16 to the
/// same receiver, beside the in-memory hand-written loop (<see cref="Throughput.BaselineAsync"/>) and the
/// library with its PostgreSQL stores (<see cref="Throughput.LibraryAsync"/>), interleaved rounds, medians:
/// <list type="bullet">
/// <item><b>naive</b>: each publish is one INSERT (own implicit transaction, a pooled connection per
/// publish); 16 workers, each with its own connection, lease up to 32 rows with
/// <c>UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)</c>, sign and POST them one by one, and after
/// each 2xx mark the row done and insert its attempt row in one statement (a CTE), own commit.</item>
/// <item><b>batched</b>: concurrent publishes collected by one writer into one <c>unnest</c> INSERT per
/// commit (each caller awaits its commit); one leaser feeds a bounded channel read by 16 senders;
/// completions collected by one writer into one statement per commit (UPDATE … FROM unnest + INSERT
/// attempts).</item>
/// </list>
/// Both poll every 10 ms when the queue is empty (no NOTIFY). At-least-once: a row is marked done only
/// after the receiver answered 2xx; the round checks that every row is done and has one attempt.
/// </summary>
public static class PostgresFloor
{
    private const string Schema = """
        CREATE TABLE q (id bigserial PRIMARY KEY, payload bytea NOT NULL, due_at timestamptz NOT NULL DEFAULT now(), lease_until timestamptz, done boolean NOT NULL DEFAULT false);
        CREATE INDEX q_due ON q (due_at, id) WHERE NOT done;
        CREATE TABLE attempts (delivery_id bigint, started_at timestamptz, status int);
        """;

    private const string LeaseSql = """
        UPDATE q SET lease_until = now() + interval '30 s'
        WHERE id IN (SELECT id FROM q WHERE NOT done AND coalesce(lease_until, due_at) <= now() ORDER BY due_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING id, payload
        """;

    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(10);

    private sealed class Variant(string name, string label)
    {
        public string Name => name;
        public string Label => label;
        public List<double> Rates { get; } = [];
        public List<double> Ratios { get; } = [];
        public List<double> ServerCpu { get; } = [];
        public List<double> ProcessCpu { get; } = [];
        public List<double> Wal { get; } = [];
        public List<double> Statements { get; } = [];
        public List<double> PublishRates { get; } = [];

        /// <summary>pg_stat_statements of the last measured round.</summary>
        public List<(string Query, long Calls, double TotalMs, double MeanMs, long Rows, long WalBytes, double MeanPlanMs)> Top { get; set; } = [];
    }

    private readonly record struct Cost(double Rate, double ServerCpu, double ProcessCpu, double Wal, double Statements, double PublishRate);

    public static async Task<Report> RunAsync(Settings settings, Receiver receiver, PostgresServer server)
    {
        int deliveries = settings.Count("pg-deliveries", 20_000, 2_000);
        int rounds = settings.Count("pg-rounds", 3, 1);
        int concurrency = settings.Count("concurrency", 16, 16);
        int publishers = settings.Count("callers", 16, 16);
        var report = new Report("pgfloor") { Target = "report: the floor of a durable PostgreSQL sender on this machine (the postgres target is ratio >= 0.25)" };
        report.Setting("deliveries", deliveries).Setting("concurrency", concurrency).Setting("publishers", publishers).Setting("rounds", rounds)
            .Setting("warmupRounds", 1).Setting("bodyBytes", Payload.EnvelopeBytes)
            .Setting("durability", "PostgreSQL defaults (fsync, synchronous_commit, full_page_writes on)")
            .Setting("naive", "1 INSERT per publish (pooled connection, own commit); 16 workers each leasing <= 32 rows (SKIP LOCKED); per delivery 1 CTE (mark done + attempt row), own commit")
            .Setting("batched", "group-commit publishes (1 unnest INSERT per commit); 1 leaser (<= 64 rows) feeding 16 senders; group-commit completions (1 UPDATE FROM unnest + INSERT attempts per commit)")
            .Setting("idlePollMs", IdlePoll.TotalMilliseconds).Setting("maxAutoPrepare", 32);

        var body = Payload.EnvelopeOf(Payload.Data(1), DateTimeOffset.UtcNow);
        var baseline = new Variant("baseline", "hand-written loop, in memory (nothing stored)");
        var naive = new Variant("naive", "minimal durable queue, naive");
        var batched = new Variant("batched", "minimal durable queue, batched");
        var library = new Variant("library", "Webhooks.Core, PostgreSQL stores, 1 instance");
        Variant[] order = [baseline, naive, batched, library];
        for (int round = 0; round <= rounds; round++)
        {
            bool warmup = round == 0;
            int n = warmup ? Math.Min(deliveries, 1_000) : deliveries;
            var results = new Dictionary<Variant, Cost>();
            // Rotate which runs first, so that none always runs on a warmer (or busier) machine.
            for (int i = 0; i < order.Length; i++)
            {
                var v = order[(i + round) % order.Length];
                results[v] = v == baseline ? await BaselineAsync(receiver, body, n, concurrency) : await DurableAsync(v, server, receiver, body, n, concurrency, publishers);
            }

            if (warmup)
            {
                continue;
            }

            double b = results[baseline].Rate;
            foreach (var (v, c) in results)
            {
                v.Rates.Add(c.Rate);
                v.Ratios.Add(c.Rate / b);
                v.ServerCpu.Add(c.ServerCpu);
                v.ProcessCpu.Add(c.ProcessCpu);
                v.Wal.Add(c.Wal);
                v.Statements.Add(c.Statements);
                v.PublishRates.Add(c.PublishRate);
            }

            Console.WriteLine($"  round {round} (load average {Report.LoadAverage()}):");
            foreach (var v in order)
            {
                var c = results[v];
                Console.WriteLine($"    {v.Label,-46} {c.Rate,8:N0}/s  ratio {c.Rate / b:0.000}  CPU/delivery: PostgreSQL {c.ServerCpu,6:N0} µs, process {c.ProcessCpu,6:N0} µs  WAL {c.Wal,6:N0} B/delivery  {c.Statements,5:0.00} statements/delivery{(c.PublishRate > 0 ? $"  (publish phase {c.PublishRate:N0}/s)" : "")}");
            }
        }

        Console.WriteLine();
        Console.WriteLine("| sender | deliveries/s | ratio | PostgreSQL CPU µs/delivery | process CPU µs/delivery | WAL B/delivery | statements/delivery |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var v in order)
        {
            Console.WriteLine($"| {v.Label} | {Stats.Median(v.Rates):N0} | {Stats.Median(v.Ratios):0.000} | {Stats.Median(v.ServerCpu):N0} | {Stats.Median(v.ProcessCpu):N0} | {Stats.Median(v.Wal):N0} | {Stats.Median(v.Statements):0.00} |");
            report.Figure(v.Name + "PerSecond", Report.Array(v.Rates))
                .Figure(v.Name + "MedianPerSecond", Math.Round(Stats.Median(v.Rates)), $"{Stats.N(Stats.Median(v.Rates))} ({v.Label}, deliveries/s, median of {rounds})")
                .Figure(v.Name + "Ratios", Report.Array(v.Ratios))
                .Figure(v.Name + "Ratio", Math.Round(Stats.Median(v.Ratios), 4), Stats.N(Stats.Median(v.Ratios), "0.000") + $" ({v.Name} / hand-written in memory)")
                .Figure(v.Name + "ServerCpuMicrosecondsPerDelivery", Report.Array(v.ServerCpu), Stats.N(Stats.Median(v.ServerCpu)) + " µs PostgreSQL CPU per delivery (median)")
                .Figure(v.Name + "ProcessCpuMicrosecondsPerDelivery", Report.Array(v.ProcessCpu), Stats.N(Stats.Median(v.ProcessCpu)) + " µs process CPU per delivery (receiver included; median)")
                .Figure(v.Name + "WalBytesPerDelivery", Report.Array(v.Wal), Stats.N(Stats.Median(v.Wal)) + " WAL bytes per delivery (median)")
                .Figure(v.Name + "StatementsPerDelivery", Report.Array(v.Statements), Stats.N(Stats.Median(v.Statements), "0.00") + " statements per delivery (pg_stat_statements calls; median)");
            if (v == naive || v == batched)
            {
                report.Figure(v.Name + "PublishPerSecond", Report.Array(v.PublishRates), Stats.N(Stats.Median(v.PublishRates)) + " publishes/s while publishing (first publish to last commit; median)");
            }

            if (v.Top.Count > 0)
            {
                var statements = new JsonArray();
                Console.WriteLine($"  {v.Label}, last round, top statements:");
                foreach (var t in v.Top)
                {
                    Console.WriteLine($"    {t.Calls / (double)deliveries,6:0.000} per delivery  {t.MeanMs,7:0.000} ms mean  {t.MeanPlanMs,6:0.000} ms plan  {t.WalBytes / (double)Math.Max(1, t.Calls),7:N0} WAL B/call  {t.Query}");
                    statements.Add(new JsonObject
                    {
                        ["query"] = t.Query,
                        ["perDelivery"] = Math.Round(t.Calls / (double)deliveries, 3),
                        ["meanMs"] = Math.Round(t.MeanMs, 3),
                        ["planMsPerCall"] = Math.Round(t.MeanPlanMs, 3),
                        ["totalMs"] = Math.Round(t.TotalMs, 1),
                        ["walBytesPerCall"] = t.Calls == 0 ? 0 : t.WalBytes / t.Calls,
                    });
                }

                report.Figure(v.Name + "StatementsLastRound", statements);
            }
        }

        // The top-level ratio is the batched floor's: the best a minimal hand-written durable sender reached beside the in-memory loop.
        report.Ratio = Stats.Median(batched.Ratios);
        return report;
    }

    private static async Task<Cost> BaselineAsync(Receiver receiver, byte[] body, int n, int concurrency)
    {
        var (rate, _, cpu) = await Throughput.BaselineAsync(receiver, body, n, concurrency);
        return new Cost(rate, 0, cpu, 0, 0, 0);
    }

    /// <summary>One durable sender on a fresh database: rate (first publish → last arrival) and its costs per delivery.</summary>
    private static async Task<Cost> DurableAsync(Variant variant, PostgresServer server, Receiver receiver, byte[] body, int n, int concurrency, int publishers)
    {
        var database = await server.CreateDatabaseAsync();
        try
        {
            string walBefore = await WalPositionAsync(server);
            var serverCpu = server.CpuTime();
            var processCpu = ProcessCpu();
            double rate, publishRate = 0;
            if (variant.Name == "library")
            {
                (rate, _, _) = await Throughput.LibraryAsync(receiver, n, concurrency, publishers, database, 1);
            }
            else
            {
                var builder = new NpgsqlDataSourceBuilder(database);
                builder.ConnectionStringBuilder.MaxAutoPrepare = 32;
                await using var dataSource = builder.Build();
                await using (var create = dataSource.CreateCommand(Schema))
                {
                    await create.ExecuteNonQueryAsync();
                }

                (rate, publishRate) = variant.Name == "naive"
                    ? await NaiveAsync(dataSource, receiver, body, n, concurrency, publishers)
                    : await BatchedAsync(dataSource, receiver, body, n, concurrency, publishers);
            }

            // Costs are taken once every row is done (completions included), not at the last arrival.
            double serverMicros = (server.CpuTime() - serverCpu).TotalMicroseconds / n;
            double processMicros = (ProcessCpu() - processCpu).TotalMicroseconds / n;
            double wal = await WalSinceAsync(server, walBefore) / (double)n;
            double statements = await StatementsAsync(database) / (double)n;
            variant.Top = await PostgresServer.TopStatementsAsync(database, 8);
            return new Cost(rate, serverMicros, processMicros, wal, statements, publishRate);
        }
        finally
        {
            await server.DropDatabaseAsync(database);
        }
    }

    /// <summary>(1) The naive hand-written queue. Returns deliveries/s from the first publish to the last arrival, and publishes/s.</summary>
    private static async Task<(double Rate, double PublishRate)> NaiveAsync(NpgsqlDataSource dataSource, Receiver receiver, byte[] body, int n, int concurrency, int publishers)
    {
        using var sender = new HandWrittenSender(concurrency);
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(() => WorkerAsync(stop.Token))).ToArray();
        long next = 0;
        long from = receiver.Arrived;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, publishers).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= n)
            {
                await using var insert = dataSource.CreateCommand("INSERT INTO q (payload) VALUES ($1)");
                insert.Parameters.Add(new NpgsqlParameter { Value = body, NpgsqlDbType = NpgsqlDbType.Bytea });
                await insert.ExecuteNonQueryAsync();
            }
        })));
        var published = sw.Elapsed;
        await receiver.WaitForAsync(from, n, TimeSpan.FromMinutes(5));
        sw.Stop();
        await VerifyAsync(dataSource, n);
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        return (n / sw.Elapsed.TotalSeconds, n / published.TotalSeconds);

        async Task WorkerAsync(CancellationToken cancellationToken)
        {
            await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
            await using var lease = new NpgsqlCommand(LeaseSql, connection) { Parameters = { new() { Value = 32 } } };
            await using var complete = new NpgsqlCommand(
                "WITH d AS (UPDATE q SET done = true WHERE id = $1) INSERT INTO attempts (delivery_id, started_at, status) VALUES ($1, $2, $3)", connection)
            {
                Parameters = { new() { NpgsqlDbType = NpgsqlDbType.Bigint }, new() { NpgsqlDbType = NpgsqlDbType.TimestampTz }, new() { NpgsqlDbType = NpgsqlDbType.Integer } },
            };
            var leased = new List<(long Id, byte[] Payload)>(32);
            while (!cancellationToken.IsCancellationRequested)
            {
                leased.Clear();
                await using (var reader = await lease.ExecuteReaderAsync(CancellationToken.None))
                {
                    while (await reader.ReadAsync(CancellationToken.None))
                    {
                        leased.Add((reader.GetInt64(0), reader.GetFieldValue<byte[]>(1)));
                    }
                }

                if (leased.Count == 0)
                {
                    await IdleAsync(cancellationToken);
                    continue;
                }

                foreach (var (id, payload) in leased)
                {
                    var started = DateTime.UtcNow;
                    if (!await TrySendAsync(sender, receiver.Url, payload))
                    {
                        continue; // not marked done: the lease expires and the row is sent again (at-least-once)
                    }

                    complete.Parameters[0].Value = id;
                    complete.Parameters[1].Value = started;
                    complete.Parameters[2].Value = 200;
                    await complete.ExecuteNonQueryAsync(CancellationToken.None);
                }
            }
        }
    }

    /// <summary>(2) The batched hand-written queue: group-commit publishes and completions, one leaser feeding the senders.</summary>
    private static async Task<(double Rate, double PublishRate)> BatchedAsync(NpgsqlDataSource dataSource, Receiver receiver, byte[] body, int n, int concurrency, int publishers)
    {
        using var sender = new HandWrittenSender(concurrency);
        using var stop = new CancellationTokenSource();
        var publishes = Channel.CreateUnbounded<(byte[] Payload, TaskCompletionSource Committed)>(new() { SingleReader = true });
        var leased = Channel.CreateBounded<(long Id, byte[] Payload)>(new BoundedChannelOptions(64) { SingleWriter = true });
        var completions = Channel.CreateUnbounded<(long Id, DateTime Started, int Status)>(new() { SingleReader = true });
        int commits = 0; // publish batches written, and the time their INSERT + commit took
        var commitTime = TimeSpan.Zero;
        var loops = new List<Task>
        {
            Task.Run(() => PublishWriterAsync()),
            Task.Run(() => LeaserAsync(stop.Token)),
            Task.Run(() => CompletionWriterAsync()),
        };
        var senders = Enumerable.Range(0, concurrency).Select(_ => Task.Run(() => SenderAsync())).ToArray();

        long next = 0;
        long from = receiver.Arrived;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, publishers).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= n)
            {
                var committed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                await publishes.Writer.WriteAsync((body, committed));
                await committed.Task; // returns only once the row is durable
            }
        })));
        var published = sw.Elapsed;
        await receiver.WaitForAsync(from, n, TimeSpan.FromMinutes(5));
        sw.Stop();
        await VerifyAsync(dataSource, n);
        publishes.Writer.Complete();
        Console.WriteLine($"    batched publishes: {n / (double)commits:0.0} per commit, {commitTime.TotalMilliseconds / commits:0.00} ms per INSERT + commit round trip (load average {Report.LoadAverage()})");
        await stop.CancelAsync(); // the leaser stops and completes the leased channel; the senders drain it, then the completion writer ends
        await Task.WhenAll(senders);
        completions.Writer.Complete();
        await Task.WhenAll(loops);
        return (n / sw.Elapsed.TotalSeconds, n / published.TotalSeconds);

        async Task PublishWriterAsync()
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var insert = new NpgsqlCommand("INSERT INTO q (payload) SELECT unnest($1::bytea[])", connection)
            {
                Parameters = { new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea } },
            };
            var batch = new List<(byte[] Payload, TaskCompletionSource Committed)>(256);
            while (await publishes.Reader.WaitToReadAsync())
            {
                batch.Clear();
                while (batch.Count < 256 && publishes.Reader.TryRead(out var item))
                {
                    batch.Add(item);
                }

                try
                {
                    insert.Parameters[0].Value = batch.Select(b => b.Payload).ToArray();
                    long started = Stopwatch.GetTimestamp();
                    await insert.ExecuteNonQueryAsync();
                    commitTime += Stopwatch.GetElapsedTime(started);
                    commits++;
                    batch.ForEach(b => b.Committed.SetResult());
                }
                catch (Exception ex)
                {
                    batch.ForEach(b => b.Committed.SetException(ex));
                }
            }
        }

        async Task LeaserAsync(CancellationToken cancellationToken)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
                await using var lease = new NpgsqlCommand(LeaseSql, connection) { Parameters = { new() { Value = 64 } } };
                while (!cancellationToken.IsCancellationRequested)
                {
                    int count = 0;
                    await using (var reader = await lease.ExecuteReaderAsync(CancellationToken.None))
                    {
                        while (await reader.ReadAsync(CancellationToken.None))
                        {
                            count++;
                            // Waits while the senders are busy (the channel holds at most 64 leased rows).
                            await leased.Writer.WriteAsync((reader.GetInt64(0), reader.GetFieldValue<byte[]>(1)), CancellationToken.None);
                        }
                    }

                    if (count == 0)
                    {
                        await IdleAsync(cancellationToken);
                    }
                }
            }
            finally
            {
                leased.Writer.Complete();
            }
        }

        async Task SenderAsync()
        {
            await foreach (var (id, payload) in leased.Reader.ReadAllAsync())
            {
                var started = DateTime.UtcNow;
                if (await TrySendAsync(sender, receiver.Url, payload))
                {
                    await completions.Writer.WriteAsync((id, started, 200)); // marked done only after the 2xx
                }
            }
        }

        async Task CompletionWriterAsync()
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var complete = new NpgsqlCommand("""
                WITH d AS (UPDATE q SET done = true FROM unnest($1::bigint[]) AS u(id) WHERE q.id = u.id)
                INSERT INTO attempts (delivery_id, started_at, status) SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::int[])
                """, connection)
            {
                Parameters =
                {
                    new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint },
                    new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz },
                    new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer },
                },
            };
            var batch = new List<(long Id, DateTime Started, int Status)>(512);
            while (await completions.Reader.WaitToReadAsync())
            {
                batch.Clear();
                while (batch.Count < 512 && completions.Reader.TryRead(out var item))
                {
                    batch.Add(item);
                }

                complete.Parameters[0].Value = batch.Select(b => b.Id).ToArray();
                complete.Parameters[1].Value = batch.Select(b => b.Started).ToArray();
                complete.Parameters[2].Value = batch.Select(b => b.Status).ToArray();
                await complete.ExecuteNonQueryAsync();
            }
        }
    }

    /// <summary>Signs and posts; false (and the row stays leased, to be retried when the lease expires) unless the receiver answered 2xx.</summary>
    private static async Task<bool> TrySendAsync(HandWrittenSender sender, string url, byte[] payload)
    {
        try
        {
            await sender.SendAsync(url, payload);
            return true;
        }
        catch (HttpRequestException ex)
        {
            Console.Error.WriteLine($"    send failed (left leased for a retry): {ex.Message}");
            return false;
        }
    }

    private static async Task IdleAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(IdlePoll, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Waits (bounded) until every one of the <paramref name="n"/> rows is done with exactly one attempt row each; throws otherwise.</summary>
    private static async Task VerifyAsync(NpgsqlDataSource dataSource, int n)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            await using var check = dataSource.CreateCommand(
                "SELECT (SELECT count(*) FROM q), (SELECT count(*) FROM q WHERE done), (SELECT count(*) FROM attempts), (SELECT count(DISTINCT delivery_id) FROM attempts)");
            await using var reader = await check.ExecuteReaderAsync();
            await reader.ReadAsync();
            long rows = reader.GetInt64(0), done = reader.GetInt64(1), attempts = reader.GetInt64(2), distinct = reader.GetInt64(3);
            if (rows == n && done == n && distinct == n)
            {
                if (attempts != n)
                {
                    Console.WriteLine($"    note: {attempts - n} duplicate sends (at-least-once)");
                }

                return;
            }

            if (deadline.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new InvalidOperationException($"Lost rows: {rows} rows of {n}, {done} done, {distinct} with an attempt.");
            }

            await Task.Delay(10);
        }
    }

    private static TimeSpan ProcessCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    private static async Task<string> WalPositionAsync(PostgresServer server)
    {
        await using var connection = new NpgsqlConnection(server.AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_current_wal_lsn()::text", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<long> WalSinceAsync(PostgresServer server, string before)
    {
        await using var connection = new NpgsqlConnection(server.AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint", connection) { Parameters = { new() { Value = before } } };
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Statements the database executed (pg_stat_statements calls; the database is new each round).</summary>
    private static async Task<long> StatementsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = current_database() AND query NOT ILIKE '%pg_stat_statements%'
            """, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
