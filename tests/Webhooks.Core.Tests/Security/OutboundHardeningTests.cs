using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Webhooks.Core.Delivery;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Delivery;
using Webhooks.Core.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Webhooks.Core.Tests.Security;

/// <summary>Measures memory, so it runs alone: other tests' allocations would blur the numbers.</summary>
[CollectionDefinition(nameof(MemoryMeasuringCollection), DisableParallelization = true)]
public sealed class MemoryMeasuringCollection;

/// <summary>Receivers that misbehave on purpose: endless bodies and headers, hangs, silence, bad TLS.</summary>
[Collection(nameof(MemoryMeasuringCollection))]
public sealed class OutboundHardeningTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(200, WebhookErrorKind.None)]
    [InlineData(500, WebhookErrorKind.HttpStatus)]
    public async Task Receiver_StreamsBodyEndlessly_ReadIsBoundedAndMemoryStaysFlat(int status, WebhookErrorKind expected)
    {
        // A raw socket server: its counter is what the kernel accepted, so it stops growing when the sender stops reading.
        long written = 0;
        await using var receiver = RawServer.Start(async stream =>
        {
            var reader = new StreamReader(stream, Encoding.ASCII);
            while (!string.IsNullOrEmpty(await reader.ReadLineAsync()))
            {
            }

            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status} Whatever\r\nContent-Length: {50L * 1024 * 1024 * 1024}\r\n\r\n"));
            var chunk = Encoding.ASCII.GetBytes(new string('x', 64 * 1024));
            while (true)
            {
                await stream.WriteAsync(chunk);
                Interlocked.Add(ref written, chunk.Length);
            }
        });
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o => o.RetrySchedule = []);
        var sub = await DeliveryTestsAccess.Subscribe(host, receiver.Url);
        var before = GC.GetTotalMemory(forceFullCollection: true);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var delivery = await Eventually.GetAsync(async () => (await host.Deliveries.GetDeliveriesAsync(null, sub))!.Items.FirstOrDefault(d => d.Status != WebhookDeliveryStatus.Pending), "the attempt to finish");
        var attempt = (await host.Deliveries.GetDeliveryAsync(null, delivery.Id))!.Attempts.Single();
        await Task.Delay(200);   // let the receiver notice the hang-up before reading its counter
        var after = GC.GetTotalMemory(forceFullCollection: true);
        var sent = Interlocked.Read(ref written);
        output.WriteLine($"receiver wrote {sent / 1024} KiB before the sender hung up; managed heap {before / 1024} KiB -> {after / 1024} KiB");

        attempt.ErrorKind.Should().Be(expected);
        attempt.StatusCode.Should().Be(status);
        attempt.ResponseExcerpt.Should().HaveLength(WebhookSender.ExcerptBytes).And.MatchRegex("^x+$");
        sent.Should().BeLessThan(64L * 1024 * 1024, "the sender stops reading after the excerpt and a short drain, then drops the connection");
        (after - before).Should().BeLessThan(16L * 1024 * 1024, "nothing of the endless body is kept");
    }

    [Fact]
    public async Task Receiver_SendsHeadersThenTricklesBody_AttemptEndsAtAttemptTimeoutWithClearError()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = async (ctx, _) =>
        {
            ctx.Response.StatusCode = 200;
            await ctx.Response.Body.WriteAsync(new byte[WebhookSender.ExcerptBytes]);
            await ctx.Response.Body.FlushAsync();
            try
            {
                while (true)
                {
                    await Task.Delay(50, ctx.RequestAborted);
                    await ctx.Response.Body.WriteAsync("x"u8.ToArray(), ctx.RequestAborted);
                    await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
            {
            }
        };
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o =>
        {
            o.RetrySchedule = [];
            o.AttemptTimeout = TimeSpan.FromMilliseconds(700);
        });
        var sub = await DeliveryTestsAccess.Subscribe(host, receiver.Url());

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var attempts = await SsrfDeliveryTests.WaitForFailedAttempts(host, sub);
        attempts.Single().ErrorKind.Should().Be(WebhookErrorKind.Timeout);
        attempts.Single().Error.Should().Contain("AttemptTimeout");
    }

    [Fact]
    public async Task Receiver_SendsEndlessHeaders_AttemptFailsWithoutBufferingThem()
    {
        long written = 0;
        await using var server = RawServer.Start(async stream =>
        {
            await stream.WriteAsync("HTTP/1.1 200 OK\r\n"u8.ToArray());
            var line = Encoding.ASCII.GetBytes("X-Padding: " + new string('a', 1000) + "\r\n");
            while (true)
            {
                await stream.WriteAsync(line);
                Interlocked.Add(ref written, line.Length);
            }
        });
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o => o.RetrySchedule = []);
        var sub = await DeliveryTestsAccess.Subscribe(host, server.Url);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var attempt = (await SsrfDeliveryTests.WaitForFailedAttempts(host, sub)).Single();
        output.WriteLine($"server wrote {Interlocked.Read(ref written) / 1024} KiB of headers; attempt: {attempt.ErrorKind} {attempt.Error}");
        attempt.ErrorKind.Should().Be(WebhookErrorKind.ConnectionFailed);
        attempt.StatusCode.Should().BeNull();
        attempt.Error.Should().Contain("header");
        Interlocked.Read(ref written).Should().BeLessThan(64L * 1024 * 1024);
    }

    [Fact]
    public async Task Receiver_NeverAcceptsConnection_FailsAtConnectTimeout_NotAttemptTimeout()
    {
        // A listener whose accept queue is full and is never drained: the kernel drops further SYNs,
        // so a connect neither succeeds nor is refused (the only way to get that on loopback).
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var endpoint = (IPEndPoint)listener.LocalEndPoint!;
        var fillers = new List<Socket>();
        try
        {
            for (int i = 0; i < 16; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(filler);
                var connect = filler.ConnectAsync(endpoint);
                if (await Task.WhenAny(connect, Task.Delay(300)) != connect)
                {
                    break;   // this one hangs: the queue is full
                }
            }

            await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o =>
            {
                o.RetrySchedule = [];
                o.ConnectTimeout = TimeSpan.FromMilliseconds(400);
                o.AttemptTimeout = TimeSpan.FromSeconds(20);
            });
            var sub = await DeliveryTestsAccess.Subscribe(host, $"http://127.0.0.1:{endpoint.Port}/hook");

            await host.Publisher.PublishAsync("order.created", new { id = 1 });

            var attempt = (await SsrfDeliveryTests.WaitForFailedAttempts(host, sub)).Single();
            attempt.ErrorKind.Should().Be(WebhookErrorKind.ConnectionFailed);
            attempt.Error.Should().Be("Could not connect to the receiver within 0.4 s (WebhookOptions.ConnectTimeout).");
        }
        finally
        {
            fillers.ForEach(f => f.Dispose());
        }
    }

    [Fact]
    public async Task Receiver_Hangs_UsesAtMostMaxConnectionsPerEndpoint_AndOtherReceiverStillGetsDeliveries()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int inFlight = 0, maxInFlight = 0;
        await using var slow = await TestReceiver.StartAsync();
        slow.Responder = async (ctx, _) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref maxInFlight, now);
            await release.Task;
            Interlocked.Decrement(ref inFlight);
            ctx.Response.StatusCode = 200;
        };
        await using var fast = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(
            b => b.AddEventType("slow.event").AddEventType("fast.event"),
            o =>
            {
                o.MaxConnectionsPerEndpoint = 2;
                o.AttemptTimeout = TimeSpan.FromSeconds(20);
                o.LeaseDuration = TimeSpan.FromMinutes(1);
            });
        await DeliveryTests.Subscribe(host, slow.Url(), ["slow.event"]);
        await DeliveryTests.Subscribe(host, fast.Url(), ["fast.event"]);

        for (int i = 0; i < 6; i++)
        {
            await host.Publisher.PublishAsync("slow.event", new { i });
        }

        await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref inFlight) == 2), "two requests hanging at the slow receiver");
        await host.Publisher.PublishAsync("fast.event", new { id = 1 });

        (await fast.WaitForAsync(1)).Should().ContainSingle("a hanging receiver must not hold up another");
        Volatile.Read(ref maxInFlight).Should().Be(2);
        release.SetResult();
        (await slow.WaitForAsync(6)).Should().HaveCount(6);
        Volatile.Read(ref maxInFlight).Should().Be(2, "the other four waited for a connection instead of opening more");
    }

    [Fact]
    public async Task Receiver_WithUntrustedCertificate_FailsTlsHandshake()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), null);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate)));
        await using var app = builder.Build();
        int requests = 0;
        app.Run(ctx => { Interlocked.Increment(ref requests); return Task.CompletedTask; });
        await app.StartAsync();
        var url = app.Urls.First().Replace("localhost", "127.0.0.1", StringComparison.Ordinal) + "/hook";
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o => o.RetrySchedule = []);
        var sub = await DeliveryTestsAccess.Subscribe(host, url);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var attempt = (await SsrfDeliveryTests.WaitForFailedAttempts(host, sub)).Single();
        attempt.ErrorKind.Should().Be(WebhookErrorKind.ConnectionFailed);
        attempt.Error.Should().Contain("TLS handshake");
        requests.Should().Be(0);
    }

    [Fact]
    public async Task Publish_PayloadOverMaxPayloadBytes_IsRefusedAndNothingIsQueued()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o => o.MaxPayloadBytes = 2048);
        var sub = await DeliveryTestsAccess.Subscribe(host, receiver.Url());

        var act = () => host.Publisher.PublishAsync("order.created", new { blob = new string('a', 3000) });

        var error = (await act.Should().ThrowAsync<WebhookPayloadTooLargeException>()).Which;
        error.Limit.Should().Be(2048);
        error.Size.Should().BeGreaterThan(3000);
        error.Message.Should().Contain("MaxPayloadBytes");
        (await host.Deliveries.GetDeliveriesAsync(null, sub))!.Items.Should().BeEmpty();
        receiver.Requests.Should().BeEmpty();
    }

    [Fact]
    public async Task Publish_PayloadJustUnderMaxPayloadBytes_IsDeliveredWhole()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o => o.MaxPayloadBytes = 2048);
        await DeliveryTestsAccess.Subscribe(host, receiver.Url());
        // The envelope around data is {"type":"order.created","timestamp":"…","data":{"blob":"…"}}; fill data to land near the limit.
        var blob = new string('a', 1900);

        await host.Publisher.PublishAsync("order.created", new { blob });

        var request = (await receiver.WaitForAsync(1))[0];
        request.Body.Length.Should().BeInRange(1900, 2048);
        request.BodyText.Should().Contain(blob);
    }

    [Fact]
    public async Task Publish_DefaultLimit_Refuses300KiB()
    {
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));

        var act = () => host.Publisher.PublishAsync("order.created", new { blob = new string('a', 300 * 1024) });

        (await act.Should().ThrowAsync<WebhookPayloadTooLargeException>()).Which.Limit.Should().Be(256 * 1024);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    /// <summary>A TCP server on 127.0.0.1 that answers every connection with a handler writing raw bytes.</summary>
    private sealed class RawServer : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        private RawServer(Func<NetworkStream, Task> handle)
        {
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/hook";
            _loop = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    _ = Task.Run(async () =>
                    {
                        using (client)
                        {
                            try
                            {
                                await handle(client.GetStream());
                            }
                            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
                            {
                            }
                        }
                    });
                }
            });
        }

        public string Url { get; }

        public static RawServer Start(Func<NetworkStream, Task> handle) => new(handle);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _loop.ContinueWith(_ => { });
            _stop.Dispose();
        }
    }
}

/// <summary>Subscribes to order.created and returns the subscription id.</summary>
internal static class DeliveryTestsAccess
{
    public static async Task<string> Subscribe(WebhookHost host, string url)
        => (await DeliveryTests.Subscribe(host, url, ["order.created"])).Subscription.Id;
}
