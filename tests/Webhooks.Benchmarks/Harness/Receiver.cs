using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Webhooks.Benchmarks.Harness;

/// <summary>
/// One real Kestrel receiver on 127.0.0.1 for every sender: reads the whole body, answers 200 with
/// an empty body, counts arrivals. On <c>/latency</c> it also reads the sender's Stopwatch timestamp
/// from the body (<c>"t":</c>) and records publish → received.
/// </summary>
public sealed class Receiver : IAsyncDisposable
{
    private static readonly byte[] Marker = "\"t\":"u8.ToArray();
    private readonly WebApplication _app;
    private long _arrived;

    private Receiver(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    public string LatencyUrl => Url.Replace("/hook", "/latency", StringComparison.Ordinal);

    public long Arrived => Interlocked.Read(ref _arrived);

    /// <summary>Latencies (ms) recorded on /latency since the last <see cref="TakeLatencies"/>.</summary>
    public ConcurrentQueue<double> Latencies { get; private set; } = new();

    public static async Task<Receiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new Receiver(app);
        app.MapPost("/hook", async (HttpRequest request) =>
        {
            await request.Body.CopyToAsync(Stream.Null);
            Interlocked.Increment(ref receiver._arrived);
            return Results.Ok();
        });
        app.MapPost("/latency", async (HttpRequest request) =>
        {
            long now = Stopwatch.GetTimestamp();
            var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            int filled = 0, read;
            while ((read = await request.Body.ReadAsync(buffer.AsMemory(filled))) > 0)
            {
                filled += read;
            }

            int at = buffer.AsSpan(0, filled).IndexOf(Marker);
            if (at >= 0 && Utf8Parser.TryParse(buffer.AsSpan(at + Marker.Length, filled - at - Marker.Length), out long sent, out _))
            {
                receiver.Latencies.Enqueue(Stopwatch.GetElapsedTime(sent, now).TotalMilliseconds);
            }

            ArrayPool<byte>.Shared.Return(buffer);
            Interlocked.Increment(ref receiver._arrived);
            return Results.Ok();
        });
        await app.StartAsync();
        receiver.Url = app.Urls.First() + "/hook";
        return receiver;
    }

    public double[] TakeLatencies()
    {
        var taken = Latencies.ToArray();
        Latencies = new();
        return taken;
    }

    /// <summary>Waits until <paramref name="count"/> more requests than <paramref name="from"/> arrived.</summary>
    public async Task WaitForAsync(long from, long count, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (Arrived - from < count)
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"Only {Arrived - from} of {count} requests arrived within {timeout.TotalSeconds} s.");
            }

            await Task.Delay(1);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
