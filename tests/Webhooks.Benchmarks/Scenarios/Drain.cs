using System.Diagnostics;
using Webhooks.Benchmarks.Harness;

namespace Webhooks.Benchmarks.Scenarios;

/// <summary>
/// The PostgreSQL scenario's two halves apart: publish <c>n</c> with no dispatcher running, then start
/// one dispatcher instance and time until the receiver has every delivery (the drain rate).
/// </summary>
public static class Drain
{
    public static async Task<Report> RunAsync(Settings settings, Receiver receiver, PostgresServer server)
    {
        int n = settings.Count("pg-deliveries", 4_000, 600);
        int concurrency = settings.Count("concurrency", 16, 16);
        int rounds = settings.Count("pg-rounds", 3, 1);
        var report = new Report("drain") { Target = "report: deliveries/s from a backlog (PostgreSQL, one instance)" };
        report.Setting("deliveries", n).Setting("concurrency", concurrency).Setting("rounds", rounds);
        var rates = new List<double>();
        var serverCpu = new List<double>();
        var processCpu = new List<double>();
        var statements = new List<double>();
        var databaseMs = new List<double>();
        var walBytes = new List<double>();
        for (int round = 0; round <= rounds; round++)
        {
            var database = await server.CreateDatabaseAsync();
            try
            {
                await using (var publisher = LibraryHost.Create(concurrency, database, dispatcher: false))
                {
                    await publisher.SubscribeAsync(receiver.Url);
                    var data = Payload.Data(1);
                    long next = 0;
                    int count = round == 0 ? 400 : n;
                    await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
                    {
                        while (Interlocked.Increment(ref next) <= count)
                        {
                            await publisher.Publisher.PublishAsync(Payload.EventType, data);
                        }
                    })));

                    long from = receiver.Arrived;
                    if (settings.Text("pg-alter") is { } alter)
                    {
                        // An experiment: a schema change tried on the backlog before draining it (--pg-alter "SQL").
                        await PostgresServer.ExecuteAsync(database, alter);
                    }

                    await PostgresServer.ResetStatementsAsync(database);
                    await using var host = LibraryHost.Create(concurrency, database, retained: count);
                    var pgCpu = server.CpuTime();
                    var appCpu = Process.GetCurrentProcess().TotalProcessorTime;
                    var sw = Stopwatch.StartNew();
                    await host.StartAsync();
                    await receiver.WaitForAsync(from, count, TimeSpan.FromMinutes(5));
                    sw.Stop();
                    double pgMicros = (server.CpuTime() - pgCpu).TotalMicroseconds / count;
                    double appMicros = (Process.GetCurrentProcess().TotalProcessorTime - appCpu).TotalMicroseconds / count;
                    if (round > 0)
                    {
                        rates.Add(count / sw.Elapsed.TotalSeconds);
                        serverCpu.Add(pgMicros);
                        processCpu.Add(appMicros);
                        Console.WriteLine($"  round {round}: drained {count / sw.Elapsed.TotalSeconds,8:N0} deliveries/s   CPU per delivery: PostgreSQL {pgMicros,7:N0} µs, this process {appMicros,7:N0} µs (receiver included)");
                        foreach (var t in await PostgresServer.TopStatementsAsync(database, 8))
                        {
                            Console.WriteLine($"    {t.Calls / (double)count,6:0.000} per delivery  {t.MeanMs,7:0.000} ms mean  {t.MeanPlanMs,6:0.000} ms plan  {t.Query}");
                        }

                        var (calls, ms, wal) = await TotalsAsync(database, count);
                        statements.Add(calls);
                        databaseMs.Add(ms);
                        walBytes.Add(wal);
                        Console.WriteLine($"    all statements: {calls:0.00} per delivery, {ms:0.000} ms executing and planning per delivery, {wal:N0} WAL bytes per delivery (load average {Report.LoadAverage()})");
                    }
                }
            }
            finally
            {
                await server.DropDatabaseAsync(database);
            }
        }

        report.Ratio = null;
        report.Figure("drainPerSecond", Report.Array(rates))
            .Figure("drainMedianPerSecond", Math.Round(Stats.Median(rates)), Stats.N(Stats.Median(rates)) + " deliveries/s from a backlog, one instance")
            .Figure("postgresCpuMicrosecondsPerDelivery", Math.Round(Stats.Median(serverCpu)), Stats.N(Stats.Median(serverCpu)) + " µs (the database server's processes, median)")
            .Figure("processCpuMicrosecondsPerDelivery", Math.Round(Stats.Median(processCpu)), Stats.N(Stats.Median(processCpu)) + " µs (this process: dispatcher, Npgsql, receiver; median)")
            .Figure("statementsPerDelivery", Math.Round(Stats.Median(statements), 2), Stats.N(Stats.Median(statements), "0.00") + " (every statement pg_stat_statements saw while draining, per delivery)")
            .Figure("databaseMsPerDelivery", Math.Round(Stats.Median(databaseMs), 3), Stats.N(Stats.Median(databaseMs), "0.000") + " ms executing and planning per delivery (wall time in the server; grows with load)")
            .Figure("walBytesPerDelivery", Math.Round(Stats.Median(walBytes)), Stats.N(Stats.Median(walBytes)) + " WAL bytes per delivery");
        return report;
    }

    /// <summary>
    /// Per delivery: every statement the database ran (top level and nested: foreign key checks, a
    /// function's statements, pool resets), and the executor + planner ms and WAL bytes of the top-level
    /// ones (which include their nested statements').
    /// </summary>
    private static async Task<(double Calls, double Ms, double Wal)> TotalsAsync(string connectionString, int count)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("""
            SELECT coalesce(sum(calls), 0)::float8,
                   coalesce(sum(total_exec_time + total_plan_time) FILTER (WHERE toplevel), 0)::float8,
                   coalesce(sum(wal_bytes) FILTER (WHERE toplevel), 0)::float8
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = current_database() AND query NOT ILIKE '%pg_stat_statements%'
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetDouble(0) / count, reader.GetDouble(1) / count, reader.GetDouble(2) / count);
    }
}
