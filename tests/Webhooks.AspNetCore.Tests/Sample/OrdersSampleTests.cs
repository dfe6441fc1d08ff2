using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Webhooks.AspNetCore.Tests.Infrastructure;
using Webhooks.Core;
using Webhooks.Core.Signing;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.AspNetCore.Tests.Sample;

/// <summary>The Orders sample, run from its own Program: API-key callers, order events to a real receiver, validation, environments.</summary>
public sealed class OrdersSampleTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> Carol = new()
    {
        ["Sample:ApiKeys:carol-test-key"] = "carol",
        ["Sample:Roles:carol"] = "Manage",
    };

    private OrdersSampleFactory _factory = null!;
    private TestReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        _receiver = await TestReceiver.StartAsync();
        _factory = new OrdersSampleFactory("Development", Carol);
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    [Fact]
    public async Task ApiKeys_FromDevelopmentSettings_AliceManagesBobIsForbiddenOthersUnauthorized()
    {
        using var alice = _factory.ClientWithKey("alice-dev-key");
        using var bob = _factory.ClientWithKey("bob-dev-key");
        using var wrongCase = _factory.ClientWithKey("ALICE-DEV-KEY");
        using var nobody = _factory.ClientWithKey(null);

        (await alice.GetAsync("/webhooks")).StatusCode.Should().Be(HttpStatusCode.OK);
        var forbidden = await bob.GetAsync("/webhooks");
        forbidden.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        forbidden.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var unauthorized = await nobody.GetAsync("/webhooks");
        unauthorized.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        unauthorized.Headers.WwwAuthenticate.ToString().Should().Contain("X-Api-Key");
        (await wrongCase.GetAsync("/webhooks")).StatusCode.Should().Be(HttpStatusCode.Unauthorized, "API keys are case-sensitive");
        (await bob.PostJsonAsync("/orders", new { customer = "Bob", items = new[] { new { sku = "B", quantity = 1, unitPrice = 1 } } }))
            .StatusCode.Should().Be(HttpStatusCode.Created, "every caller may place orders");
    }

    [Fact]
    public async Task OrderLifecycle_PublishesCreatedUpdatedDeleted_OnlyToTheCallersSubscriptions()
    {
        using var alice = _factory.ClientWithKey("alice-dev-key");
        using var carol = _factory.ClientWithKey("carol-test-key");
        var aliceSub = await alice.CreateSubscriptionAsync("orders", _receiver.Url("/alice"), "order.*");
        await carol.CreateSubscriptionAsync("orders", _receiver.Url("/carol"), "order.*");
        var secret = (string)aliceSub["secret"]!;

        var created = await (await alice.PostJsonAsync("/orders", new
        {
            customer = "ACME",
            items = new[] { new { sku = "A-1", quantity = 2, unitPrice = 9.5m } },
            note = "rush",
        })).JsonAsync(HttpStatusCode.Created);
        var orderId = created["id"]!.GetValue<int>();
        created["status"]!.GetValue<string>().Should().Be("pending");
        var updated = await (await alice.SendJsonAsync(HttpMethod.Put, $"/orders/{orderId}", """{"status":"paid","note":""}""")).JsonAsync(HttpStatusCode.OK);
        updated["status"]!.GetValue<string>().Should().Be("paid");
        (await alice.DeleteAsync($"/orders/{orderId}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await alice.GetAsync($"/orders/{orderId}")).StatusCode.Should().Be(HttpStatusCode.NotFound);

        var requests = await _receiver.WaitForAsync(3);
        requests.Should().OnlyContain(r => r.Path == "/alice", "carol's subscription hears nothing of alice's orders");
        var events = requests.OrderBy(r => JsonNode.Parse(r.Body)!["timestamp"]!.GetValue<DateTimeOffset>()).ToList();
        foreach (var r in events)
        {
            new WebhookVerifier(secret).Verify(r.Header("webhook-id"), r.Header("webhook-timestamp"), r.Header("webhook-signature"), r.Body)
                .IsValid.Should().BeTrue();
        }

        var createdEvent = JsonNode.Parse(events[0].Body)!;
        createdEvent["type"]!.GetValue<string>().Should().Be("order.created");
        createdEvent["data"]!.ToJsonString().Should().Be(created.ToJsonString(), "order.created carries the full object");
        var updatedEvent = JsonNode.Parse(events[1].Body)!;
        updatedEvent["type"]!.GetValue<string>().Should().Be("order.updated");
        updatedEvent["data"]!.ToJsonString().Should().Be(
            "{\"id\":" + orderId + ""","changes":{"status":{"previous":"pending","current":"paid"},"note":{"previous":"rush","current":null}}}""");
        var deletedEvent = JsonNode.Parse(events[2].Body)!;
        deletedEvent["type"]!.GetValue<string>().Should().Be("order.deleted");
        deletedEvent["data"]!.ToJsonString().Should().Be(updated.ToJsonString(), "order.deleted carries the object as it was before deletion");

        var log = await Eventually.GetAsync(async () =>
        {
            var page = await (await alice.GetAsync($"/webhooks/{aliceSub["id"]}/deliveries?status=succeeded")).JsonAsync(HttpStatusCode.OK);
            return page["items"]!.AsArray().Count == 3 ? page : null;
        }, "three succeeded deliveries in alice's log");
        log["items"]!.AsArray().Select(d => (string)d!["eventType"]!).Should().Equal("order.deleted", "order.updated", "order.created");

        // The "View Logs" page and the success/failure widget: every delivery and count of the caller, whatever the subscription.
        var all = await (await alice.GetAsync("/webhooks/deliveries")).JsonAsync(HttpStatusCode.OK);
        all["items"]!.AsArray().Select(d => (string)d!["subscriptionId"]!).Should().Equal(Enumerable.Repeat((string)aliceSub["id"]!, 3));
        var widget = await (await alice.GetAsync("/webhooks/stats?window=1h&bucket=5m")).JsonAsync(HttpStatusCode.OK);
        (widget["succeeded"]!.GetValue<int>(), widget["failed"]!.GetValue<int>()).Should().Be((3, 0));
    }

    [Fact]
    public async Task Orders_OfAnotherOwner_AreNotFound()
    {
        using var alice = _factory.ClientWithKey("alice-dev-key");
        using var bob = _factory.ClientWithKey("bob-dev-key");
        var order = await (await alice.PostJsonAsync("/orders", new { customer = "A", items = new[] { new { sku = "S", quantity = 1, unitPrice = 1 } } })).JsonAsync(HttpStatusCode.Created);

        await (await bob.GetAsync($"/orders/{order["id"]}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await bob.SendJsonAsync(HttpMethod.Put, $"/orders/{order["id"]}", """{"status":"paid"}""")).ProblemAsync(HttpStatusCode.NotFound);
        await (await bob.DeleteAsync($"/orders/{order["id"]}")).ProblemAsync(HttpStatusCode.NotFound);
        (await alice.GetAsync($"/orders/{order["id"]}")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    public static TheoryData<string, string, string, string> InvalidOrders => new()
    {
        { "POST", "{}", "customer", "A customer is required." },
        { "POST", """{"customer":"A"}""", "items", "List at least one item." },
        { "POST", """{"customer":"A","items":[]}""", "items", "An order holds 1 to 100 items." },
        { "POST", """{"customer":"A","items":[{"sku":"","quantity":1,"unitPrice":1}]}""", "items[0].sku", "A sku of 1 to 64 characters is required." },
        { "POST", """{"customer":"A","items":[{"sku":"S","quantity":0,"unitPrice":1}]}""", "items[0].quantity", "quantity must be a whole number from 1 to 10000." },
        { "POST", """{"customer":"A","items":[{"sku":"S","quantity":1,"unitPrice":-1}]}""", "items[0].unitPrice", "unitPrice must be a number from 0 to 1000000 with at most 2 decimals." },
        { "POST", """{"customer":"A","items":[{"sku":"S","quantity":1,"unitPrice":1.234}]}""", "items[0].unitPrice", "unitPrice must be a number from 0 to 1000000 with at most 2 decimals." },
        { "POST", """{"customer":"A","items":[{"sku":"S","quantity":1}]}""", "items[0].unitPrice", "unitPrice must be a number" },
        { "POST", $$"""{"customer":"A","items":[{"sku":"S","quantity":1,"unitPrice":1}],"note":"{{new string('n', 1001)}}"}""", "note", "The note is 1001 characters; the limit is 1000." },
        { "PUT", """{"status":"lost"}""", "status", "status must be one of pending, paid, shipped, delivered, cancelled." },
        { "PUT", """{"customer":" "}""", "customer", "A customer is required." },
    };

    [Theory]
    [MemberData(nameof(InvalidOrders))]
    public async Task Orders_InvalidValues_Return400WithTheField(string method, string body, string field, string message)
    {
        using var alice = _factory.ClientWithKey("alice-dev-key");
        var url = "/orders";
        if (method == "PUT")
        {
            var order = await (await alice.PostJsonAsync("/orders", new { customer = "A", items = new[] { new { sku = "S", quantity = 1, unitPrice = 1 } } })).JsonAsync(HttpStatusCode.Created);
            url += "/" + order["id"];
        }

        var errors = await (await alice.SendJsonAsync(new HttpMethod(method), url, body)).ValidationErrorsAsync();

        errors[field].Should().ContainSingle().Which.Should().StartWith(message);
    }

    [Theory]
    [InlineData("""{"customer":"A","items":[{"sku":"S","quantity":"2","unitPrice":1}]}""", "'items[0].quantity' has a value of the wrong JSON type.")]
    [InlineData("""{"customer":"A","items":"S"}""", "'items' has a value of the wrong JSON type.")]
    [InlineData("""{"customer":"A","items":[],"coupon":"X"}""", "'coupon' is not a known property; remove it.")]
    [InlineData("""{"customer":"A",""", "Fix the JSON at line 1")]
    [InlineData("""[]""", null)]
    [InlineData("""{"customer":"A","items":[{"sku":"S","quantity":99999999999,"unitPrice":1}]}""", "'items[0].quantity' has a value of the wrong JSON type.")]
    public async Task Orders_MalformedBodies_Return400Problem(string body, string? detail)
    {
        using var alice = _factory.ClientWithKey("alice-dev-key");

        var problem = await (await alice.SendJsonAsync(HttpMethod.Post, "/orders", body)).ProblemAsync(HttpStatusCode.BadRequest);

        if (detail is not null)
        {
            problem["detail"]!.GetValue<string>().Should().StartWith(detail);
        }
    }

    [Fact]
    public async Task Orders_OversizeAndNonJsonBodies_Return413And415Problems()
    {
        using var alice = _factory.ClientWithKey("alice-dev-key");

        var big = await alice.SendJsonAsync(HttpMethod.Post, "/orders", $$"""{"customer":"A","note":"{{new string('n', 70_000)}}"}""");
        await big.ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        var text = await alice.PostAsync("/orders", new StringContent("customer=A"));
        await text.ProblemAsync(HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task OpenApi_IsServedAtOpenApiV1Json_WithWebhookAndOrderRoutes()
    {
        using var anonymous = _factory.ClientWithKey(null);

        var document = await (await anonymous.GetAsync("/openapi/v1.json")).JsonAsync(HttpStatusCode.OK);

        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToList();
        paths.Should().Contain(["/webhooks", "/webhooks/{id}", "/webhooks/event-types", "/webhooks/{id}/deliveries", "/webhooks/deliveries", "/webhooks/stats", "/orders", "/orders/{id}"]);
        paths.Count(p => p.StartsWith("/webhooks", StringComparison.Ordinal)).Should().Be(17, "the management paths, GET /webhooks/stats/subscriptions among them");
    }

    [Fact]
    public async Task Production_NoDevKeys_HttpAndLoopbackRefused()
    {
        await using var production = new OrdersSampleFactory("Production", Carol);
        using var alice = production.ClientWithKey("alice-dev-key");
        using var carol = production.ClientWithKey("carol-test-key");

        (await alice.GetAsync("/webhooks")).StatusCode.Should().Be(HttpStatusCode.Unauthorized, "the development keys ship only in appsettings.Development.json");
        var errors = await (await carol.PostJsonAsync("/webhooks", new { name = "n", url = _receiver.Url(), events = new[] { "order.*" } })).ValidationErrorsAsync();
        errors["url"].Should().Contain("The URL must use https://; plain http is not allowed (WebhookOptions.AllowHttp).");
        errors["url"].Should().Contain(m => m.StartsWith("Webhooks cannot be sent to 127.0.0.1: it is a loopback address", StringComparison.Ordinal));
        (await production.ClientWithKey(null).GetAsync("/dev/receiver")).StatusCode.Should().Be(HttpStatusCode.NotFound);

        var test = await (await carol.PostJsonAsync("/webhooks/test", new { url = "https://localhost:9/hook" })).ValidationErrorsAsync();
        test["url"].Should().ContainSingle().Which.Should().Contain("localhost");
    }

    [Fact]
    public async Task Configuration_WebhooksSectionAndEnvironmentKeys_AreHonoured()
    {
        var envKey = "env-key-" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable($"Sample__ApiKeys__{envKey}", "dave");
        Environment.SetEnvironmentVariable("Sample__Roles__dave", "Manage");
        try
        {
            await using var production = new OrdersSampleFactory("Production", new Dictionary<string, string?>
            {
                ["Webhooks:AllowHttp"] = "true",
                ["Webhooks:RetrySchedule:0"] = "00:00:01",
                ["Webhooks:MaxConcurrentDeliveries"] = "3",
                ["Webhooks:Endpoints:DefaultPageSize"] = "1",
                ["Webhooks:Network:AllowedHosts:0"] = "example.com",
            });
            using var dave = production.ClientWithKey(envKey);

            await dave.CreateSubscriptionAsync("from-env", "http://example.com/hook");
            await dave.CreateSubscriptionAsync("second", "http://example.com/hook2");
            var page = await (await dave.GetAsync("/webhooks")).JsonAsync(HttpStatusCode.OK);
            page["items"]!.AsArray().Should().ContainSingle("Webhooks:Endpoints:DefaultPageSize is 1");
            page["nextCursor"].Should().NotBeNull();
            var options = production.Services.GetRequiredService<IOptions<WebhookOptions>>().Value;
            options.AllowHttp.Should().BeTrue();
            options.RetrySchedule.Should().Equal([TimeSpan.FromSeconds(1)], "a configured schedule replaces the default one");
            options.MaxConcurrentDeliveries.Should().Be(3);
        }
        finally
        {
            Environment.SetEnvironmentVariable($"Sample__ApiKeys__{envKey}", null);
            Environment.SetEnvironmentVariable("Sample__Roles__dave", null);
        }
    }
}
