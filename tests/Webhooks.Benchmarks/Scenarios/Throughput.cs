using System.Diagnostics;
using System.Text.Json.Nodes;
using Webhooks.Benchmarks.Harness;

namespace Webhooks.Benchmarks.Scenarios;

/// <summary>
/// End to end: publish from 16 concurrent callers → dispatcher → receiver, against the hand-written
/// signing loop at the same concurrency, interleaved rounds, medians. <c>throughput</c> runs the
/// in-memory stores; <c>postgres</c> the PostgreSQL stores with one and with two dispatcher instances.
/// </summary>
public static class Throughput
{
    private const int WarmJitMethods = 100;
    private const int MaxWarmupRounds = 8;

    public static async Task<Report> InMemoryAsync(Settings settings, Receiver receiver)
    {
        int deliveries = settings.Count("deliveries", 20_000, 4_000);
        int concurrency = settings.Count("concurrency", 16, 16);
        int callers = settings.Count("callers", 16, 16);
        int rounds = settings.Count("rounds", 5, 2);
        var report = new Report("throughput") { Target = "ratio >= 0.90" };
        report.Setting("deliveries", deliveries).Setting("concurrency", concurrency).Setting("publishers", callers).Setting("rounds", rounds)
            .Setting("bodyBytes", Payload.EnvelopeBytes).Setting("warmupRounds", $"until a library round compiles fewer than {WarmJitMethods} methods, at most {MaxWarmupRounds}").Setting("warmupDeliveries", deliveries);

        var body = Payload.EnvelopeOf(Payload.Data(1), DateTimeOffset.UtcNow);

        // One host for every round, as a sender is one long-running app: a host per round measured its
        // start-up (and the code its start-up compiles, which also holds back the runtime's tiering of
        // the delivery path) as much as delivering. It keeps the last round's deliveries in its log
        // (InMemoryRetainedDeliveries = n; --retained N to try another).
        int retained = settings.Count("retained", deliveries, deliveries);
        report.Setting("retainedDeliveries", retained);
        await using var host = LibraryHost.Create(concurrency, postgres: null, retained: retained);
        await host.SubscribeAsync(receiver.Url);
        await host.StartAsync();
        if (settings.Count("library-only", 0, 0) is > 0 and var only)
        {
            // For a profiler (dotnet-trace): the library side alone, no baseline in the trace.
            using var jit = settings.Jit ? new JitProfile() : null;
            for (int i = 0; i < only; i++)
            {
                jit?.Start();
                long jitted = System.Runtime.JitInfo.GetCompiledMethodCount();
                var jitTime = System.Runtime.JitInfo.GetCompilationTime();
                var (rate, allocated, cpu) = await RoundAsync([host], receiver, deliveries, callers);
                Console.WriteLine($"  library only: {rate,9:N0}/s   allocated/delivery {allocated:N0} B   CPU/delivery {cpu:N1} µs   methods jitted {System.Runtime.JitInfo.GetCompiledMethodCount() - jitted:N0} in {(System.Runtime.JitInfo.GetCompilationTime() - jitTime).TotalMilliseconds:N0} ms");
                if (jit is not null && i > 0)
                {
                    foreach (var (method, count) in jit.Stop().Take(60))
                    {
                        Console.WriteLine($"    {count,4}  {method}");
                    }
                }
            }

            return report;
        }

        if (settings.Count("baseline-only", 0, 0) is > 0 and var baselineOnly)
        {
            // The profiler's other half: the hand-written loop alone.
            for (int i = 0; i < baselineOnly; i++)
            {
                var (rate, allocated, cpu) = await BaselineAsync(receiver, body, deliveries, concurrency);
                Console.WriteLine($"  hand-written only: {rate,9:N0}/s   allocated/delivery {allocated:N0} B   CPU/delivery {cpu:N1} µs");
            }

            return report;
        }

        var baseline = new List<double>();
        var library = new List<double>();
        var libraryAlloc = new List<double>();
        var baselineAlloc = new List<double>();
        var libraryCpu = new List<double>();
        var baselineCpu = new List<double>();
        // Warm-up: interleaved rounds as long as measured ones, until the runtime has about stopped compiling
        // the library's code (fewer than WarmJitMethods methods compiled in a library round; at most
        // MaxWarmupRounds). Tiered compilation promotes hot methods to optimized code in the background, and
        // only once no new code has been compiled for a while: while a round still compiles hundreds of
        // methods, it measures the JIT, not the steady state a long-running sender is in. The first
        // (cold) round is reported too.
        int warmupRounds = 0;
        for (int round = 0; round < rounds + warmupRounds + 1; round++)
        {
            bool warmup = round == warmupRounds;
            int n = deliveries;
            // Alternate which goes first, so neither always runs on a warmer (or busier) machine.
            double b = 0, l = 0, ba = 0, la = 0, bc = 0, lc = 0;
            long jitBefore = System.Runtime.JitInfo.GetCompiledMethodCount();
            long jitted = 0;
            if (round % 2 == 0)
            {
                (b, ba, bc) = await BaselineAsync(receiver, body, n, concurrency);
                jitBefore = System.Runtime.JitInfo.GetCompiledMethodCount();
                (l, la, lc) = await RoundAsync([host], receiver, n, callers);
                jitted = System.Runtime.JitInfo.GetCompiledMethodCount() - jitBefore;
            }
            else
            {
                (l, la, lc) = await RoundAsync([host], receiver, n, callers);
                jitted = System.Runtime.JitInfo.GetCompiledMethodCount() - jitBefore;
                (b, ba, bc) = await BaselineAsync(receiver, body, n, concurrency);
            }

            if (warmup)
            {
                Console.WriteLine($"  warm-up {round + 1}: hand-written {b,9:N0}/s   library {l,9:N0}/s   ratio {l / b:0.000}   CPU/delivery {bc:N1} µs vs {lc:N1} µs   methods compiled in the library round: {jitted:N0}");
                if (round == 0)
                {
                    report.Figure("coldRound", new JsonObject { ["baselinePerSecond"] = Math.Round(b), ["libraryPerSecond"] = Math.Round(l), ["ratio"] = Math.Round(l / b, 3), ["methodsCompiled"] = jitted },
                        $"first round, cold: ratio {l / b:0.000} ({jitted:N0} methods compiled meanwhile)");
                }

                if (jitted >= WarmJitMethods && warmupRounds + 1 < MaxWarmupRounds)
                {
                    warmupRounds++;
                    continue;
                }

                if (settings.Allocations)
                {
                    await ProfileAllocationsAsync(host, receiver, body, n, concurrency, callers);
                }

                report.Setting("warmupRoundsRun", warmupRounds + 1);
                continue;
            }

            baseline.Add(b);
            library.Add(l);
            baselineAlloc.Add(ba);
            libraryAlloc.Add(la);
            baselineCpu.Add(bc);
            libraryCpu.Add(lc);
            Console.WriteLine($"  round {round - warmupRounds}: hand-written {b,9:N0}/s   library {l,9:N0}/s   ratio {l / b:0.000}   allocated/delivery {ba:N0} B vs {la:N0} B   CPU/delivery {bc:N1} µs vs {lc:N1} µs");
        }

        var ratios = baseline.Zip(library, (b, l) => l / b).ToList();
        report.Ratio = Stats.Median(ratios);
        report.TargetMet = report.Ratio >= 0.90;
        report.Figure("baselinePerSecond", Report.Array(baseline), $"hand-written signing loop, deliveries/s (median of {rounds})")
            .Figure("libraryPerSecond", Report.Array(library), "library, in-memory stores, deliveries/s (median)")
            .Figure("ratios", Report.Array(ratios))
            .Figure("baselineMedianPerSecond", Math.Round(Stats.Median(baseline)), Stats.N(Stats.Median(baseline)))
            .Figure("libraryMedianPerSecond", Math.Round(Stats.Median(library)), Stats.N(Stats.Median(library)))
            .Figure("baselineAllocatedBytesPerDelivery", Math.Round(Stats.Median(baselineAlloc)), Stats.N(Stats.Median(baselineAlloc)) + " B (whole process, receiver included)")
            .Figure("libraryAllocatedBytesPerDelivery", Math.Round(Stats.Median(libraryAlloc)), Stats.N(Stats.Median(libraryAlloc)) + " B (whole process, receiver included)")
            .Figure("baselineCpuMicrosecondsPerDelivery", Report.Array(baselineCpu), Stats.N(Stats.Median(baselineCpu), "0.0") + " µs median (process CPU time, receiver included)")
            .Figure("libraryCpuMicrosecondsPerDelivery", Report.Array(libraryCpu), Stats.N(Stats.Median(libraryCpu), "0.0") + " µs median (process CPU time, receiver included; steadier than rates on a loaded machine)");
        return report;
    }

    /// <summary>pg_stat_statements of the last round, by instance count (the database is new each round).</summary>
    private static readonly Dictionary<int, JsonArray> LastStatements = [];

    public static async Task<Report> PostgresAsync(Settings settings, Receiver receiver, PostgresServer server)
    {
        int deliveries = settings.Count("pg-deliveries", 20_000, 600);
        int concurrency = settings.Count("concurrency", 16, 16);
        int callers = settings.Count("callers", 16, 16);
        int rounds = settings.Count("pg-rounds", 3, 1);
        var report = new Report("postgres") { Target = "ratio >= 0.25 with one instance; two instances not slower than one" };
        report.Setting("deliveries", deliveries).Setting("concurrency", concurrency).Setting("publishers", callers).Setting("rounds", rounds)
            .Setting("bodyBytes", Payload.EnvelopeBytes).Setting("durability", "PostgreSQL defaults (fsync, synchronous_commit, full_page_writes on)")
            .Setting("warmupRounds", 1);

        var body = Payload.EnvelopeOf(Payload.Data(1), DateTimeOffset.UtcNow);
        var baseline = new List<double>();
        var one = new List<double>();
        var two = new List<double>();
        for (int round = 0; round <= rounds; round++)
        {
            bool warmup = round == 0;
            int n = warmup ? Math.Min(deliveries, 400) : deliveries;
            var (b, _, _) = await BaselineAsync(receiver, body, Math.Max(n, 4_000), concurrency);
            var (l1, _, _) = await PostgresRoundAsync(server, receiver, n, concurrency, callers, 1);
            var (l2, _, _) = await PostgresRoundAsync(server, receiver, n, concurrency, callers, 2);
            if (warmup)
            {
                continue;
            }

            baseline.Add(b);
            one.Add(l1);
            two.Add(l2);
            Console.WriteLine($"  round {round}: hand-written {b,9:N0}/s   PostgreSQL x1 {l1,7:N0}/s (ratio {l1 / b:0.000})   x2 {l2,7:N0}/s (ratio {l2 / b:0.000})");
        }

        var ratios = baseline.Zip(one, (b, l) => l / b).ToList();
        var ratios2 = baseline.Zip(two, (b, l) => l / b).ToList();
        var twoVsOne = one.Zip(two, (a, b) => b / a).ToList();
        report.Ratio = Stats.Median(ratios);
        report.TargetMet = report.Ratio >= 0.25 && Stats.Median(twoVsOne) >= 0.95;
        report.Figure("baselinePerSecond", Report.Array(baseline), $"hand-written signing loop, deliveries/s (median of {rounds})")
            .Figure("baselineMedianPerSecond", Math.Round(Stats.Median(baseline)), Stats.N(Stats.Median(baseline)))
            .Figure("oneInstancePerSecond", Report.Array(one))
            .Figure("oneInstanceMedianPerSecond", Math.Round(Stats.Median(one)), Stats.N(Stats.Median(one)) + " (one dispatcher instance, deliveries/s)")
            .Figure("twoInstancesPerSecond", Report.Array(two))
            .Figure("twoInstancesMedianPerSecond", Math.Round(Stats.Median(two)), Stats.N(Stats.Median(two)) + " (two instances on one database)")
            .Figure("ratios", Report.Array(ratios))
            .Figure("twoInstancesRatio", Math.Round(Stats.Median(ratios2), 4), Stats.N(Stats.Median(ratios2), "0.000") + " (two instances / hand-written)")
            .Figure("twoVsOne", Math.Round(Stats.Median(twoVsOne), 4), Stats.N(Stats.Median(twoVsOne), "0.00") + "x (two instances / one)")
            .Figure("statementsOneInstanceLastRound", LastStatements.GetValueOrDefault(1)?.DeepClone())
            .Figure("statementsTwoInstancesLastRound", LastStatements.GetValueOrDefault(2)?.DeepClone());
        foreach (var t in LastStatements.GetValueOrDefault(1) ?? [])
        {
            Console.WriteLine($"    {t!["perDelivery"],6} per delivery  {t["meanMs"],7} ms mean  {t["walBytesPerCall"],6} WAL B/call  {t["query"]}");
        }

        return report;
    }

    /// <summary>Prints the allocation breakdown by type of one library round and one hand-written round (<c>--alloc</c>).</summary>
    private static async Task ProfileAllocationsAsync(LibraryHost host, Receiver receiver, byte[] body, int n, int concurrency, int callers)
    {
        using var profile = new AllocationProfile();
        foreach (var side in new[] { "library", "hand-written" })
        {
            profile.Start();
            long before = GC.GetTotalAllocatedBytes(precise: true);
            if (side == "library")
            {
                await RoundAsync([host], receiver, n, callers);
            }
            else
            {
                await BaselineAsync(receiver, body, n, concurrency);
            }

            long total = GC.GetTotalAllocatedBytes(precise: true) - before;
            var top = profile.Stop();
            long sampled = Math.Max(1, top.Sum(t => t.Bytes));
            Console.WriteLine($"  allocations, {side}: {total / (double)n:N0} B per delivery; by type (sampled):");
            foreach (var (type, bytes) in top.Take(25))
            {
                Console.WriteLine($"    {bytes * (total / (double)sampled) / n,8:N0} B  {type}");
            }
        }
    }

    /// <summary>The hand-written loop: <paramref name="concurrency"/> workers sign and post until <paramref name="n"/> are sent. Returns deliveries/s, bytes allocated and process CPU µs per delivery.</summary>
    public static async Task<(double Rate, double Allocated, double CpuMicroseconds)> BaselineAsync(Receiver receiver, byte[] body, int n, int concurrency)
    {
        using var sender = new HandWrittenSender(concurrency);
        long next = 0;
        long from = receiver.Arrived;
        long allocated = GC.GetTotalAllocatedBytes(precise: false);
        var cpu = CpuTime();
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= n)
            {
                await sender.SendAsync(receiver.Url, body);
            }
        })));
        sw.Stop();
        await receiver.WaitForAsync(from, n, TimeSpan.FromMinutes(2));
        return (n / sw.Elapsed.TotalSeconds, (GC.GetTotalAllocatedBytes(false) - allocated) / (double)n, (CpuTime() - cpu).TotalMicroseconds / n);
    }

    /// <summary>CPU time used by this process so far (every thread: the sender under test, the receiver, the runtime).</summary>
    private static TimeSpan CpuTime()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    /// <summary>
    /// The library: a started host (or several on one database), <paramref name="callers"/> concurrent
    /// publishers spread over them; timed from the first publish until the receiver has every delivery.
    /// </summary>
    public static async Task<(double Rate, double Allocated, double CpuMicroseconds)> LibraryAsync(Receiver receiver, int n, int concurrency, int callers, string? postgres, int instances)
    {
        var hosts = new LibraryHost[instances];
        for (int i = 0; i < instances; i++)
        {
            hosts[i] = LibraryHost.Create(concurrency, postgres, retained: n);
        }

        try
        {
            await hosts[0].SubscribeAsync(receiver.Url);
            foreach (var h in hosts)
            {
                await h.StartAsync();
            }

            return await RoundAsync(hosts, receiver, n, callers);
        }
        finally
        {
            foreach (var h in hosts)
            {
                await h.DisposeAsync();
            }
        }
    }

    /// <summary>One measured round on started hosts: <paramref name="callers"/> publishers spread over them, timed until the receiver has all <paramref name="n"/>.</summary>
    private static async Task<(double Rate, double Allocated, double CpuMicroseconds)> RoundAsync(LibraryHost[] hosts, Receiver receiver, int n, int callers)
    {
        var data = Payload.Data(1);
        long next = 0;
        long from = receiver.Arrived;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        long allocated = GC.GetTotalAllocatedBytes(precise: false);
        var cpu = CpuTime();
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
        {
            var publisher = hosts[c % hosts.Length].Publisher;
            while (Interlocked.Increment(ref next) <= n)
            {
                await publisher.PublishAsync(Payload.EventType, data);
            }
        })));
        await receiver.WaitForAsync(from, n, TimeSpan.FromMinutes(5));
        sw.Stop();
        return (n / sw.Elapsed.TotalSeconds, (GC.GetTotalAllocatedBytes(false) - allocated) / (double)n, (CpuTime() - cpu).TotalMicroseconds / n);
    }

    private static async Task<(double Rate, double Allocated, double CpuMicroseconds)> PostgresRoundAsync(PostgresServer server, Receiver receiver, int n, int concurrency, int callers, int instances)
    {
        var database = await server.CreateDatabaseAsync();
        try
        {
            var result = await LibraryAsync(receiver, n, concurrency, callers, database, instances);
            var top = await PostgresServer.TopStatementsAsync(database, 10);
            var statements = new JsonArray();
            foreach (var t in top)
            {
                statements.Add(new JsonObject
                {
                    ["query"] = t.Query,
                    ["perDelivery"] = Math.Round(t.Calls / (double)n, 3),
                    ["meanMs"] = Math.Round(t.MeanMs, 3),
                ["planMsPerCall"] = Math.Round(t.MeanPlanMs, 3),
                    ["totalMs"] = Math.Round(t.TotalMs, 1),
                    ["walBytesPerCall"] = t.Calls == 0 ? 0 : t.WalBytes / t.Calls,
                });
            }

            LastStatements[instances] = statements;
            return result;
        }
        finally
        {
            await server.DropDatabaseAsync(database);
        }
    }
}
