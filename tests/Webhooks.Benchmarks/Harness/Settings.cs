namespace Webhooks.Benchmarks.Harness;

/// <summary>The command line: a scenario name, <c>--quick</c> for a smoke pass, and overrides.</summary>
public sealed class Settings
{
    private readonly string[] _args;

    public Settings(string[] args)
    {
        _args = args;
        Scenario = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
        Quick = args.Contains("--quick");
        Verbose = args.Contains("--verbose");
        Allocations = args.Contains("--alloc");
        Jit = args.Contains("--jit");
    }

    public string Scenario { get; }

    /// <summary>Smaller counts and fewer rounds: a smoke pass of every scenario in a minute or two.</summary>
    public bool Quick { get; }

    public bool Verbose { get; }

    /// <summary>Print an allocation breakdown by type (throughput).</summary>
    public bool Allocations { get; }

    /// <summary>--jit: list the methods compiled during each library-only round after the first.</summary>
    public bool Jit { get; }

    /// <summary>A text option (<c>--name text</c>), or <see langword="null"/>.</summary>
    public string? Text(string name)
    {
        int i = Array.IndexOf(_args, "--" + name);
        return i >= 0 && i + 1 < _args.Length ? _args[i + 1] : null;
    }

    /// <summary>An integer option (<c>--name 123</c>), or the scenario's default (the quick one with <c>--quick</c>).</summary>
    public int Count(string name, int full, int quick)
    {
        int i = Array.IndexOf(_args, "--" + name);
        return i >= 0 && i + 1 < _args.Length && int.TryParse(_args[i + 1], out var v) ? v : Quick ? quick : full;
    }
}
