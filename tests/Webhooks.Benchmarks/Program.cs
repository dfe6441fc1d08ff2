// The performance harness (issue 10). One process, one real Kestrel receiver on 127.0.0.1; every
// library figure is measured beside a baseline in the same run (interleaved rounds, medians), because
// absolute timings on a shared machine are noise.
//
//   dotnet run -c Release --project tests/Webhooks.Benchmarks -- <scenario> [--quick] [--name value ...]
//
// Scenarios: throughput, postgres, publish, latency, fanout, memory, signing, all; drain (not in all: PostgreSQL
// deliveries/s from a backlog, one instance, with no publishing alongside); and queue (not in all:
// the in-process cost per delivery without HTTP, CPU time, fastest round, for comparing two builds); and pgfloor (not in
// all: two minimal hand-written durable PostgreSQL queues, naive and batched, beside the in-memory loop and the library:
// what any durable PostgreSQL sender reaches on this machine). Each prints a table
// and writes artifacts/benchmarks/<scenario>.json (every figure, the settings, the machine's load, and
// a top-level "ratio" for ratio scenarios). --quick runs smaller counts (a smoke pass of `all` in a
// few minutes). Overrides: --deliveries, --concurrency, --callers, --rounds, --pg-deliveries,
// --pg-rounds, --publishes, --rate, --seconds, --fanout-small, --fanout-large, --memory-messages,
// --body-bytes (1024), --library-only N / --baseline-only N (throughput: N rounds of one side alone, for a profiler;
// --jit lists the methods compiled in each library round after the first; --retained N: deliveries the in-memory log keeps).
// --alloc prints an allocation breakdown by type (throughput); --plain-data-source
// gives PostgreSQL an NpgsqlDataSource of its own (no auto-prepare), for comparison.
using System.Diagnostics;
using Webhooks.Benchmarks.Harness;
using Webhooks.Benchmarks.Scenarios;

var settings = new Settings(args);
LibraryHost.PlainDataSource = args.Contains("--plain-data-source");
Payload.EnvelopeBytes = settings.Count("body-bytes", 1024, 1024);
string[] known = ["throughput", "postgres", "publish", "latency", "fanout", "memory", "signing", "queue", "drain", "pgfloor", "all"];
if (!known.Contains(settings.Scenario))
{
    Console.Error.WriteLine($"Unknown scenario '{settings.Scenario}'. Use one of: {string.Join(", ", known)} (and --quick for a smoke pass).");
    return 2;
}

Console.WriteLine($"Webhooks.Core benchmarks: {settings.Scenario}{(settings.Quick ? " (quick)" : "")}, {Environment.ProcessorCount} cores, .NET {Environment.Version}, load average {Report.LoadAverage()}");
bool all = settings.Scenario == "all";
bool Wants(string s) => all || settings.Scenario == s;
var total = Stopwatch.StartNew();
var reports = new List<Report>();
var failed = new List<string>();

if (Wants("signing"))
{
    await RunAsync("signing", () => Task.FromResult(Signing.Run(settings)));
}

await using (var receiver = await Receiver.StartAsync())
{
    if (Wants("throughput"))
    {
        await RunAsync("throughput", () => Throughput.InMemoryAsync(settings, receiver));
    }

    if (settings.Scenario == "queue")
    {
        await RunAsync("queue", () => Queue.RunAsync(settings));
    }

    if (Wants("memory"))
    {
        await RunAsync("memory", () => Memory.RunAsync(settings));
    }

    if (Wants("fanout"))
    {
        await RunAsync("fanout", () => Fanout.RunAsync(settings));
    }

    PostgresServer? server = null;
    try
    {
        if (Wants("postgres") || Wants("publish") || Wants("latency") || settings.Scenario is "drain" or "pgfloor")
        {
            server = await PostgresServer.StartAsync();
        }

        if (Wants("latency"))
        {
            await RunAsync("latency", () => Latency.RunAsync(settings, receiver, server));
        }

        if (Wants("publish"))
        {
            await RunAsync("publish", () => Publish.RunAsync(settings, server!));
        }

        if (settings.Scenario == "drain")
        {
            await RunAsync("drain", () => Drain.RunAsync(settings, receiver, server!));
        }

        if (settings.Scenario == "pgfloor")
        {
            await RunAsync("pgfloor", () => PostgresFloor.RunAsync(settings, receiver, server!));
        }

        if (Wants("postgres"))
        {
            await RunAsync("postgres", () => Throughput.PostgresAsync(settings, receiver, server!));
        }
    }
    finally
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
}

if (reports.Count > 1)
{
    Console.WriteLine();
    Console.WriteLine("## summary");
    Console.WriteLine("| scenario | ratio | target | met |");
    Console.WriteLine("|---|---|---|---|");
    foreach (var r in reports)
    {
        Console.WriteLine($"| {r.Scenario} | {(r.Ratio is { } x ? x.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture) : "-")} | {r.Target} | {(r.TargetMet switch { true => "yes", false => "no", _ => "-" })} |");
    }
}

Console.WriteLine($"Total {total.Elapsed.TotalMinutes:0.0} min.{(failed.Count > 0 ? " Failed: " + string.Join(", ", failed) : "")}");
return failed.Count == 0 ? 0 : 1;

// One scenario failing (say, PostgreSQL missing) does not stop the others.
async Task RunAsync(string name, Func<Task<Report>> scenario)
{
    try
    {
        var report = await scenario();
        reports.Add(report);
        report.Write();
    }
    catch (Exception ex)
    {
        failed.Add(name);
        Console.Error.WriteLine($"Scenario {name} failed: {ex}");
    }
}
