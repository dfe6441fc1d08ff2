using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Delivery;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Delivery;

public sealed class EndpointFairnessTests
{
    [Fact]
    public async Task HangingReceiverWithBacklog_DoesNotStarveOtherReceivers()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int inFlight = 0, maxInFlight = 0;
        await using var hanging = await TestReceiver.StartAsync();
        hanging.Responder = async (ctx, _) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref maxInFlight, now);
            await release.Task;
            Interlocked.Decrement(ref inFlight);
            ctx.Response.StatusCode = 200;
        };
        await using var healthy = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("a").AddEventType("b"), o =>
        {
            o.MaxConcurrentDeliveries = 8;
            o.MaxConnectionsPerEndpoint = 2;
            o.AttemptTimeout = TimeSpan.FromSeconds(30);
            o.LeaseDuration = TimeSpan.FromSeconds(60);
        }, start: false);
        await host.Subscriptions.CreateAsync(null, new() { Name = "hang", Url = hanging.Url(), Events = ["a"] });
        await host.Subscriptions.CreateAsync(null, new() { Name = "ok", Url = healthy.Url(), Events = ["b"] });
        for (int i = 0; i < 20; i++)
        {
            await host.Publisher.PublishAsync("a", new { i });
        }

        await host.Publisher.PublishAsync("b", new { i = 0 });
        await host.Host.StartAsync();

        // Without the per-endpoint cap all 8 workers would sit on the hanging receiver (its 20
        // deliveries are due first) and this delivery would wait for their 30 s timeouts.
        await healthy.WaitForAsync(1, TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref inFlight) == 2), "the hanging receiver's two allowed attempts");
        hanging.Requests.Should().HaveCount(2, "the hanging receiver's other deliveries wait their turn without holding workers");
        release.SetResult();
        await hanging.WaitForAsync(20, TimeSpan.FromSeconds(30));
        maxInFlight.Should().BeLessThanOrEqualTo(2);
    }

    [Theory]
    [InlineData("https://example.com/a/b?c", "https://example.com:443")]
    [InlineData("http://127.0.0.1:5000/hook", "http://127.0.0.1:5000")]
    [InlineData("https://[::1]:8443?x=1", "https://[::1]:8443")]
    [InlineData("https://host.example", "https://host.example:443")]
    [InlineData("https://HOST.example:443/x", "https://host.example:443")]
    [InlineData("https://user:pw@host.example/x", "https://host.example:443")]
    public void EndpointOf_TakesSchemeHostAndPort(string url, string expected)
        => new ServiceCollection().AddLogging().AddWebhooks().Services.BuildServiceProvider()
            .GetRequiredService<WebhookDeliveryProcessor>()
            .EndpointOf(url).Should().Be(expected);

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
