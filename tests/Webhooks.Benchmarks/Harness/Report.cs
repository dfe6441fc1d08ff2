using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Webhooks.Benchmarks.Harness;

/// <summary>
/// One scenario's figures: printed as a table and written to artifacts/benchmarks/&lt;scenario&gt;.json
/// with the settings, the machine's load and, for ratio scenarios, a top-level <c>ratio</c>.
/// </summary>
public sealed class Report(string scenario)
{
    private readonly JsonObject _settings = [];
    private readonly JsonObject _figures = [];
    private readonly List<(string Measure, string Value)> _rows = [];
    private readonly string _loadBefore = LoadAverage();
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;

    public string Scenario => scenario;

    public double? Ratio { get; set; }

    public string? Target { get; set; }

    public bool? TargetMet { get; set; }

    public Report Setting(string name, JsonNode? value)
    {
        _settings[name] = value;
        return this;
    }

    /// <summary>A figure for the JSON (and a row for the table when <paramref name="row"/> is given).</summary>
    public Report Figure(string name, JsonNode? value, string? row = null)
    {
        _figures[name] = value;
        if (row is not null)
        {
            _rows.Add((name, row));
        }

        return this;
    }

    public static JsonArray Array(IEnumerable<double> values) => [.. values.Select(v => (JsonNode?)Math.Round(v, 4))];

    public void Write()
    {
        Console.WriteLine();
        Console.WriteLine($"## {scenario}");
        Console.WriteLine("| measure | value |");
        Console.WriteLine("|---|---|");
        foreach (var (measure, value) in _rows)
        {
            Console.WriteLine($"| {measure} | {value} |");
        }

        if (Ratio is { } r)
        {
            Console.WriteLine($"| **ratio** | **{r.ToString("0.000", CultureInfo.InvariantCulture)}** |");
        }

        if (Target is not null)
        {
            Console.WriteLine($"| target | {Target}: {(TargetMet == true ? "met" : TargetMet == false ? "NOT met" : "report")} |");
        }

        var json = new JsonObject
        {
            ["scenario"] = scenario,
            ["ratio"] = Ratio is { } ratio ? Math.Round(ratio, 4) : null,
            ["target"] = Target,
            ["targetMet"] = TargetMet,
            ["date"] = _started.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["durationSeconds"] = Math.Round((DateTimeOffset.UtcNow - _started).TotalSeconds, 1),
            ["machine"] = new JsonObject
            {
                ["cores"] = Environment.ProcessorCount,
                ["runtime"] = Environment.Version.ToString(),
                ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
                ["loadAverageBefore"] = _loadBefore,
                ["loadAverageAfter"] = LoadAverage(),
            },
            ["settings"] = _settings,
            ["figures"] = _figures,
        };
        var dir = Environment.GetEnvironmentVariable("WEBHOOKS_BENCHMARKS_OUT") is { Length: > 0 } o ? o : Path.Combine(RepoRoot(), "artifacts", "benchmarks");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, scenario + ".json");
        File.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"(written to {Path.GetRelativePath(Environment.CurrentDirectory, path)})");
    }

    /// <summary>The 1, 5 and 15 minute load averages (how busy the shared machine was).</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Webhooks.Core.sln")))
            {
                return dir.FullName;
            }
        }

        return Environment.CurrentDirectory;
    }
}

/// <summary>Medians and percentiles.</summary>
public static class Stats
{
    public static double Median(IEnumerable<double> values) => Percentile(values, 50);

    public static double Percentile(IEnumerable<double> values, double percent)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        // Nearest rank.
        int rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static string N(double value, string format = "N0") => value.ToString(format, CultureInfo.InvariantCulture);
}
