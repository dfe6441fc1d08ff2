using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Benchmarks.Harness;
using Webhooks.Core.Signing;

namespace Webhooks.Benchmarks.Scenarios;

/// <summary>
/// BenchmarkDotNet (in process): the Standard Webhooks signer as the dispatcher calls it, signing a 1 KiB
/// body into a request's headers, against <see cref="HMACSHA256.HashData(byte[], byte[])"/> over the same
/// bytes ("id.timestamp.body").
/// </summary>
public static class Signing
{
    public static Report Run(Settings settings)
    {
        var report = new Report("signing") { Target = "time <= 1.3x HMACSHA256.HashData; no allocation beyond the header string" };
        var job = (settings.Quick ? Job.Dry.WithIterationCount(3).WithWarmupCount(1).WithInvocationCount(20_000).WithUnrollFactor(1) : Job.ShortRun)
            .WithToolchain(InProcessEmitToolchain.Instance);
        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddLogger(ConsoleLogger.Default)
            .AddColumnProvider(BenchmarkDotNet.Columns.DefaultColumnProviders.Instance)
            .WithArtifactsPath(Path.Combine(Report.RepoRoot(), "artifacts", "benchmarks", "signing-bdn"))
            .WithOptions(ConfigOptions.DisableLogFile);
        var summary = BenchmarkRunner.Run<SigningBenchmarks>(config);
        double? hash = null, sign = null;
        long? signAlloc = null, hashAlloc = null;
        foreach (var r in summary.Reports)
        {
            var name = r.BenchmarkCase.Descriptor.WorkloadMethod.Name;
            double? ns = r.ResultStatistics?.Median;
            long? alloc = r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase);
            report.Figure(name + "MedianNs", ns is null ? null : Math.Round(ns.Value, 1), $"{name}: {ns:N0} ns, {alloc} B allocated")
                .Figure(name + "AllocatedBytes", alloc);
            if (name == nameof(SigningBenchmarks.HashData))
            {
                (hash, hashAlloc) = (ns, alloc);
            }
            else if (name == nameof(SigningBenchmarks.Sign))
            {
                (sign, signAlloc) = (ns, alloc);
            }
        }

        // The header value: "v1," + 44 base64 characters (a 47-character string; what HeaderOnly allocates, the header store included).
        var headerReport = summary.Reports.FirstOrDefault(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == nameof(SigningBenchmarks.HeaderOnly));
        long headerString = headerReport?.GcStats.GetBytesAllocatedPerOperation(headerReport.BenchmarkCase) ?? 0;
        report.Setting("bodyBytes", Payload.EnvelopeBytes).Setting("job", settings.Quick ? "Dry, 3 iterations (quick)" : "ShortRun").Setting("headerStringBytes", headerString);
        if (hash is { } h && sign is { } s)
        {
            report.Ratio = s / h;
            report.TargetMet = report.Ratio <= 1.3 && signAlloc <= headerString;
        }

        return report;
    }
}

/// <summary>The signing micro benchmarks.</summary>
[MemoryDiagnoser]
public class SigningBenchmarks
{
    private readonly byte[] _body = Payload.EnvelopeOf(Payload.Data(1), DateTimeOffset.UnixEpoch);
    private readonly string[] _secrets = [WebhookSecret.Generate()];
    private readonly DateTimeOffset _timestamp = DateTimeOffset.FromUnixTimeSeconds(1_764_000_000);
    private readonly HttpRequestMessage _request = new();
    private byte[] _key = [];
    private byte[] _signed = [];
    private IWebhookSigner _signer = null!;

    [GlobalSetup]
    public void Setup()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddWebhooks(o => o.AllowHttp = true);
        var provider = services.BuildServiceProvider();
        _signer = provider.GetServices<IWebhookSigner>().Last(s => s.Scheme == WebhookSignatureSchemes.StandardWebhooks);
        _key = Convert.FromBase64String(_secrets[0]["whsec_".Length..]);
        _signed = [.. "msg_01KBDZ1X9Y2QPN3K4M5R6S7T8V.1764000000."u8, .. _body];
    }

    /// <summary>The floor: one-shot HMAC-SHA256 over the signed bytes.</summary>
    [Benchmark(Baseline = true)]
    public byte HashData()
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, _signed, mac);
        return mac[0];
    }

    /// <summary>What adding a header of that length costs by itself (removed again): Sign's allocation beyond it is the signer's own.</summary>
    [Benchmark]
    public void HeaderOnly()
    {
        var headers = _request.Headers;
        headers.TryAddWithoutValidation(WebhookHeaders.Signature, new string('x', 47));
        headers.Remove(WebhookHeaders.Signature);
    }

    /// <summary>The library's signer into a request's headers (removed again, so each operation adds one).</summary>
    [Benchmark]
    public void Sign()
    {
        var headers = _request.Headers;
        _signer.Sign(new WebhookSigningContext("msg_01KBDZ1X9Y2QPN3K4M5R6S7T8V", _timestamp, _body, _secrets), headers);
        headers.Remove(WebhookHeaders.Signature);
    }
}
