using System.Net;
using System.Text.Json.Nodes;
using Webhooks.AspNetCore.Tests.Infrastructure;
using Webhooks.Core.Publishing;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.AspNetCore.Tests.Endpoints;

/// <summary>
/// The subscription's read model carries the endpoint's circuit and since when it has been failing,
/// over real HTTP: a receiver answering 503 opens the circuit, and GET /webhooks/{id} says so.
/// Its own host and receiver, so the open circuit touches no other test.
/// </summary>
public sealed class EndpointCircuitTests
{
    [Fact]
    public async Task Subscription_ReceiverKeepsFailing_ShowsCircuitOpenAndFailingSince()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = (ctx, _) =>
        {
            ctx.Response.StatusCode = 503;
            return Task.CompletedTask;
        };
        await using var host = await ApiHost.StartAsync(o =>
        {
            o.RetrySchedule = [TimeSpan.FromMinutes(10)];
            o.CircuitBreaker.MinimumAttempts = 3;
            o.CircuitBreaker.BreakDuration = TimeSpan.FromMinutes(5);
            o.CircuitBreaker.MaxBreakDuration = TimeSpan.FromMinutes(10);
        });
        var owner = ApiFixture.NewOwner();
        using var client = host.Client(owner);
        var created = await client.CreateSubscriptionAsync("flaky", receiver.Url("/hook"), "order.*");
        var id = (string)created["id"]!;
        var endpoint = new Uri(receiver.BaseUrl).GetLeftPart(UriPartial.Authority).ToLowerInvariant();

        // A new subscription: healthy, circuit closed.
        created["failingSince"].Should().BeNull();
        created["endpoint"]!["endpoint"]!.GetValue<string>().Should().Be(endpoint);
        created["endpoint"]!["circuit"]!.GetValue<string>().Should().Be("closed");
        created["endpoint"]!["openUntil"].Should().BeNull();

        for (int i = 0; i < 3; i++)
        {
            await host.Publisher.PublishAsync("order.created", new { n = i }, new WebhookPublishOptions { Owner = owner });
        }

        await receiver.WaitForAsync(3);
        var read = await Eventually.GetAsync(async () =>
        {
            var s = await (await client.GetAsync($"/webhooks/{id}")).JsonAsync(HttpStatusCode.OK);
            return s["endpoint"]!["circuit"]!.GetValue<string>() == "open" && s["failingSince"] is JsonNode ? s : null;
        }, "the circuit to open after three failed attempts, and the failures to be recorded");

        read["endpoint"]!["openUntil"]!.GetValue<DateTimeOffset>().Should().BeAfter(DateTimeOffset.UtcNow.AddMinutes(4));
        read["failingSince"]!.GetValue<DateTimeOffset>().Should().BeBefore(DateTimeOffset.UtcNow.AddSeconds(1));
        read["active"]!.GetValue<bool>().Should().BeTrue("an open circuit holds deliveries back; it does not disable");

        // The list shows the same state.
        var list = await (await client.GetAsync("/webhooks")).JsonAsync(HttpStatusCode.OK);
        list["items"]!.AsArray().Single()!["endpoint"]!["circuit"]!.GetValue<string>().Should().Be("open");
    }

    [Fact]
    public async Task Subscription_CircuitBreakerOff_AlwaysClosed()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = (ctx, _) =>
        {
            ctx.Response.StatusCode = 500;
            return Task.CompletedTask;
        };
        await using var host = await ApiHost.StartAsync(o =>
        {
            o.RetrySchedule = [TimeSpan.FromMinutes(10)];
            o.CircuitBreaker.Enabled = false;
            o.CircuitBreaker.MinimumAttempts = 1;
        });
        var owner = ApiFixture.NewOwner();
        using var client = host.Client(owner);
        var id = (string)(await client.CreateSubscriptionAsync("flaky", receiver.Url("/hook"), "order.*"))["id"]!;
        await host.Publisher.PublishAsync("order.created", new { n = 1 }, new WebhookPublishOptions { Owner = owner });
        await host.Publisher.PublishAsync("order.created", new { n = 2 }, new WebhookPublishOptions { Owner = owner });
        await receiver.WaitForAsync(2);

        var read = await Eventually.GetAsync(async () =>
        {
            var s = await (await client.GetAsync($"/webhooks/{id}")).JsonAsync(HttpStatusCode.OK);
            return s["failingSince"] is JsonNode ? s : null;
        }, "the failure to be recorded");
        read["endpoint"]!["circuit"]!.GetValue<string>().Should().Be("closed");
    }
}
