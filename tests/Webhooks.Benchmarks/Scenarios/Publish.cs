using System.Diagnostics;
using System.Text.Json.Nodes;
using Webhooks.Benchmarks.Harness;

namespace Webhooks.Benchmarks.Scenarios;

/// <summary>
/// Publish calls/s from 16 concurrent callers into PostgreSQL with no dispatcher running, and what
/// each publish costs there (pg_stat_statements: statements, time, WAL); the in-memory rate beside it.
/// </summary>
public static class Publish
{
    public static async Task<Report> RunAsync(Settings settings, PostgresServer server)
    {
        int publishes = settings.Count("publishes", 4_000, 500);
        int callers = settings.Count("callers", 16, 16);
        int rounds = settings.Count("pg-rounds", 3, 1);
        var report = new Report("publish") { Target = "report: publishes/s and the cost of one publish" };
        report.Setting("publishes", publishes).Setting("publishers", callers).Setting("rounds", rounds).Setting("subscriptions", 1).Setting("bodyBytes", Payload.EnvelopeBytes);

        var pg = new List<double>();
        var memory = new List<double>();
        List<(string Query, long Calls, double TotalMs, double MeanMs, long Rows, long WalBytes, double MeanPlanMs)> top = [];
        for (int round = 0; round <= rounds; round++)
        {
            var database = await server.CreateDatabaseAsync();
            try
            {
                await using var host = LibraryHost.Create(16, database, dispatcher: false);
                await host.SubscribeAsync("http://127.0.0.1:9/hook");
                await PostgresServer.ResetStatementsAsync(database);
                double rate = await PublishAsync(host, round == 0 ? 200 : publishes, callers);
                if (round > 0)
                {
                    pg.Add(rate);
                    top = await PostgresServer.TopStatementsAsync(database, 16);
                }
            }
            finally
            {
                await server.DropDatabaseAsync(database);
            }

            await using (var host = LibraryHost.Create(16, dispatcher: false, retained: 10))
            {
                await host.SubscribeAsync("http://127.0.0.1:9/hook");
                double rate = await PublishAsync(host, round == 0 ? 2_000 : publishes * 10, callers);
                if (round > 0)
                {
                    memory.Add(rate);
                    Console.WriteLine($"  round {round}: PostgreSQL {pg[^1],8:N0} publishes/s   in memory {rate,10:N0} publishes/s");
                }
            }
        }

        report.Figure("postgresPerSecond", Report.Array(pg))
            .Figure("postgresMedianPerSecond", Math.Round(Stats.Median(pg)), Stats.N(Stats.Median(pg)) + " publishes/s (PostgreSQL, one subscription, median)")
            .Figure("inMemoryPerSecond", Report.Array(memory))
            .Figure("inMemoryMedianPerSecond", Math.Round(Stats.Median(memory)), Stats.N(Stats.Median(memory)) + " publishes/s (in memory)");
        // Npgsql resets a pooled connection when it is returned (DISCARD ALL, or with prepared statements
        // CLOSE ALL, RESET ALL, …): sent with the next command, no round trip of their own; counted apart.
        string[] reset = ["DISCARD ALL", "CLOSE ALL", "RESET ALL", "SET SESSION AUTHORIZATION DEFAULT", "SELECT pg_advisory_unlock_all()", "DISCARD SEQUENCES", "UNLISTEN *"];
        long totalCalls = top.Where(t => !reset.Contains(t.Query) && !t.Query.StartsWith("SELECT pg_stat", StringComparison.Ordinal)).Sum(t => t.Calls);
        long resetCalls = top.Where(t => reset.Contains(t.Query)).Sum(t => t.Calls);
        var statements = new JsonArray();
        foreach (var t in top)
        {
            statements.Add(new JsonObject
            {
                ["query"] = t.Query,
                ["calls"] = t.Calls,
                ["perPublish"] = Math.Round(t.Calls / (double)publishes, 3),
                ["meanMs"] = Math.Round(t.MeanMs, 3),
                ["planMsPerCall"] = Math.Round(t.MeanPlanMs, 3),
                ["totalMs"] = Math.Round(t.TotalMs, 1),
                ["rows"] = t.Rows,
                ["walBytesPerCall"] = t.Calls == 0 ? 0 : t.WalBytes / t.Calls,
            });
            Console.WriteLine($"    {t.Calls,7} calls  {t.MeanMs,8:0.000} ms mean  {t.MeanPlanMs,6:0.000} ms planning  {(t.Calls == 0 ? 0 : t.WalBytes / t.Calls),6} WAL B/call  {t.Query}");
        }

        report.Figure("statementsLastRound", statements)
            .Figure("statementsPerPublish", Math.Round(totalCalls / (double)publishes, 2), Stats.N(totalCalls / (double)publishes, "0.00") + " (pg_stat_statements calls / publishes, last round; foreign key checks included)")
            .Figure("connectionResetStatementsPerPublish", Math.Round(resetCalls / (double)publishes, 2), Stats.N(resetCalls / (double)publishes, "0.00") + " (pool resets, sent with the next command)");
        return report;
    }

    private static async Task<double> PublishAsync(LibraryHost host, int n, int callers)
    {
        var data = Payload.Data(1);
        long next = 0;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= n)
            {
                await host.Publisher.PublishAsync(Payload.EventType, data);
            }
        })));
        return n / sw.Elapsed.TotalSeconds;
    }
}
