using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.AspNetCore.Tests.Infrastructure;

namespace Webhooks.AspNetCore.Tests.Sample;

/// <summary>The Orders sample on real Kestrel (127.0.0.1, a free port): /healthz, and its order events in /openapi/v1.json.</summary>
public sealed class OrdersSampleOperationsTests : IAsyncLifetime
{
    private OrdersSampleFactory _factory = null!;
    private Uri _address = null!;

    public Task InitializeAsync()
    {
        _factory = new OrdersSampleFactory("Development");
        _factory.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _factory.StartServer();
        _address = new Uri(_factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        return Task.CompletedTask;
    }

    private HttpClient Client(string? apiKey = null)
    {
        var client = new HttpClient { BaseAddress = _address };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task Healthz_AnswersHealthyWithTheBacklogNumbers()
    {
        using var client = Client();
        _address.Host.Should().Be("127.0.0.1", "the sample answers over a real socket");

        var health = await (await client.GetAsync("/healthz")).JsonAsync(HttpStatusCode.OK);

        health["status"]!.GetValue<string>().Should().Be("Healthy");
        var webhooks = health["checks"]!["webhooks"]!;
        webhooks["status"]!.GetValue<string>().Should().Be("Healthy");
        webhooks["data"]!["pendingDeliveries"]!.GetValue<long>().Should().Be(0);
        webhooks["data"]!["degradedAfterSeconds"]!.GetValue<double>().Should().Be(300);
    }

    [Fact]
    public async Task OpenApi_DescribesEveryOrderEventAsAWebhook()
    {
        using var anonymous = Client();
        using var alice = Client("alice-dev-key");

        var document = await (await anonymous.GetAsync("/openapi/v1.json")).JsonAsync(HttpStatusCode.OK);
        var catalog = await (await alice.GetAsync("/webhooks/event-types")).JsonAsync(HttpStatusCode.OK);

        var events = catalog["groups"]!.AsArray().SelectMany(g => g!["eventTypes"]!.AsArray()).Select(e => e!).ToList();
        events.Select(e => (string)e["name"]!).Should().BeEquivalentTo("order.created", "order.updated", "order.deleted");
        document["webhooks"]!.AsObject().Select(w => w.Key).Should().BeEquivalentTo(events.Select(e => (string)e["name"]!));
        foreach (var e in events)
        {
            var post = document["webhooks"]![(string)e["name"]!]!["post"]!;
            post["summary"]!.GetValue<string>().Should().Be((string)e["description"]!);
            var data = post["requestBody"]!["content"]!["application/json"]!["schema"]!["properties"]!["data"]!;
            data["properties"]!.AsObject().Select(p => p.Key).Should().BeEquivalentTo(e["schema"]!["properties"]!.AsObject().Select(p => p.Key));
            post["parameters"]!.AsArray().Select(p => (string)p!["name"]!).Should().Contain(["webhook-id", "webhook-timestamp", "webhook-signature"]);
        }

        document["webhooks"]!["order.created"]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!["properties"]!["data"]!["properties"]!["items"]!["items"]!["properties"]!["unitPrice"].Should().NotBeNull();
    }
}
