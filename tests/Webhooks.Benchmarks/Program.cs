// The performance harness (issue 10). One process, one real Kestrel receiver on 127.0.0.1; every
// library figure is measured beside a baseline in the same run (interleaved rounds, medians), because
// absolute timings on a shared machine are noise.
//
//   dotnet run -c Release --project tests/Webhooks.Benchmarks -- <scenario> [--quick] [--name value ...]
//
// Scenarios: throughput, postgres, publish, latency, fanout, memory, signing, all. Each prints a table
// and writes artifacts/benchmarks/<scenario>.json (every figure, the settings, the machine's load, and
// a top-level "ratio" for ratio scenarios). --quick runs smaller counts (a smoke pass of `all` in a
// few minutes). Overrides: --deliveries, --concurrency, --callers, --rounds, --pg-deliveries,
// --pg-rounds, --publishes, --rate, --seconds, --fanout-small, --fanout-large, --memory-messages.
using System.Diagnostics;
using Webhooks.Benchmarks.Harness;
using Webhooks.Benchmarks.Scenarios;

var settings = new Settings(args);
string[] known = ["throughput", "postgres", "publish", "latency", "fanout", "memory", "signing", "all"];
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

if (Wants("signing"))
{
    reports.Add(Signing.Run(settings));
    reports[^1].Write();
}

await using (var receiver = await Receiver.StartAsync())
{
    if (Wants("throughput"))
    {
        reports.Add(await Throughput.InMemoryAsync(settings, receiver));
        reports[^1].Write();
    }

    if (Wants("memory"))
    {
        reports.Add(await Memory.RunAsync(settings));
        reports[^1].Write();
    }

    if (Wants("fanout"))
    {
        reports.Add(await Fanout.RunAsync(settings));
        reports[^1].Write();
    }

    PostgresServer? server = null;
    try
    {
        if (Wants("postgres") || Wants("publish") || Wants("latency"))
        {
            server = await PostgresServer.StartAsync();
        }

        if (Wants("latency"))
        {
            reports.Add(await Latency.RunAsync(settings, receiver, server));
            reports[^1].Write();
        }

        if (Wants("publish"))
        {
            reports.Add(await Publish.RunAsync(settings, server!));
            reports[^1].Write();
        }

        if (Wants("postgres"))
        {
            reports.Add(await Throughput.PostgresAsync(settings, receiver, server!));
            reports[^1].Write();
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

Console.WriteLine($"Total {total.Elapsed.TotalMinutes:0.0} min.");
return 0;
