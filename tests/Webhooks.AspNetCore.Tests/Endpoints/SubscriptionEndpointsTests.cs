using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.AspNetCore.Tests.Infrastructure;
using Webhooks.Core.Publishing;
using Webhooks.Core.Signing;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.AspNetCore.Tests.Endpoints;

[Collection(ApiCollection.Name)]
public sealed class SubscriptionEndpointsTests(ApiFixture fixture)
{
    private readonly ApiHost _host = fixture.Host;

    [Fact]
    public async Task EventTypes_Get_ListsCatalogGroupedByResourceWithDescriptions()
    {
        using var client = _host.Client(ApiFixture.NewOwner());

        var catalog = await (await client.GetAsync("/webhooks/event-types")).JsonAsync(HttpStatusCode.OK);

        var groups = catalog["groups"]!.AsArray();
        groups.Select(g => (string?)g!["name"]).Should().Equal("order", "item", "invoice");
        var order = groups[0]!;
        order["pattern"]!.GetValue<string>().Should().Be("order.*");
        order["eventTypes"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).Should().Equal("order.created", "order.updated", "order.deleted");
        order["eventTypes"]![0]!["description"]!.GetValue<string>().Should().Be("An order was created.");
        var item = groups[1]!["eventTypes"]![0]!;
        item["name"]!.GetValue<string>().Should().Be("item-add");
        item["description"]!.GetValue<string>().Should().Be("An item was added.");
        groups[1]!["pattern"]!.GetValue<string>().Should().Be("item.*");
        var invoice = groups[2]!["eventTypes"]![0]!;
        invoice["version"]!.GetValue<string>().Should().Be("V1");
        invoice["deprecated"]!.GetValue<bool>().Should().BeTrue();
    }

    [Fact]
    public async Task Create_ValidBody_Returns201WithLocationETagAndFullSecretOnlyOnce()
    {
        using var client = _host.Client(ApiFixture.NewOwner());

        var response = await client.PostJsonAsync("/webhooks", new
        {
            name = "orders",
            url = "https://example.com/hook",
            events = new[] { "order.created", "order.updated" },
            description = "Sync orders",
            auth = new { type = "basic", username = "svc", password = "p@ss" },
            headers = new Dictionary<string, string> { ["X-Env"] = "test" },
            metadata = new Dictionary<string, string> { ["team"] = "billing" },
            active = false,
        });

        var created = await response.JsonAsync(HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();
        id.Should().MatchRegex("^sub_[0-9A-Z]{26}$");
        response.Headers.Location!.ToString().Should().Be("/webhooks/" + id);
        response.Headers.ETag!.Tag.Should().Be("\"1\"");
        created["name"]!.GetValue<string>().Should().Be("orders");
        created["url"]!.GetValue<string>().Should().Be("https://example.com/hook");
        created["events"]!.AsArray().Select(e => e!.GetValue<string>()).Should().Equal("order.created", "order.updated");
        created["description"]!.GetValue<string>().Should().Be("Sync orders");
        created["active"]!.GetValue<bool>().Should().BeFalse();
        created["headers"]!["X-Env"]!.GetValue<string>().Should().Be("test");
        created["metadata"]!["team"]!.GetValue<string>().Should().Be("billing");
        created["version"]!.GetValue<long>().Should().Be(1);
        created["auth"]!.ToJsonString().Should().Be("""{"type":"basic","username":"svc","password":"****"}""");
        var secret = created["secret"]!.GetValue<string>();
        secret.Should().StartWith("whsec_").And.HaveLength(50);

        var read = await client.GetAsync(response.Headers.Location);
        var fetched = await read.JsonAsync(HttpStatusCode.OK);
        fetched["secret"]!.GetValue<string>().Should().Be("whsec_…" + secret[^4..]);
        fetched["auth"]!["password"]!.GetValue<string>().Should().Be("****");
        read.Headers.ETag!.Tag.Should().Be("\"1\"");
        (await read.Content.ReadAsStringAsync()).Should().NotContain(secret).And.NotContain("p@ss");

        var listed = await (await client.GetAsync("/webhooks")).JsonAsync(HttpStatusCode.OK);
        listed.ToJsonString().Should().NotContain(secret).And.NotContain("p@ss");
    }

    [Fact]
    public async Task Filter_OnCreateAndUpdate_NarrowsDeliveriesByPublishAttributes()
    {
        var owner = ApiFixture.NewOwner();
        using var client = _host.Client(owner);
        var path = "/filter-" + Guid.NewGuid().ToString("N");
        var created = await (await client.PostJsonAsync("/webhooks", new
        {
            name = "alerts",
            url = fixture.Receiver.Url(path),
            events = new[] { "order.*" },
            filter = new Dictionary<string, string[]> { ["severity"] = ["error", "critical"] },
        })).JsonAsync(HttpStatusCode.Created);
        created["filter"]!.ToJsonString().Should().Be("""{"severity":["error","critical"]}""");

        async Task<string> PublishAsync(string severity) => (await _host.Publisher.PublishAsync("order.created", new { severity },
            new WebhookPublishOptions { Owner = owner, Attributes = new Dictionary<string, string> { ["severity"] = severity } })).MessageId;
        var info = await PublishAsync("info");
        var error = await PublishAsync("error");
        await Eventually.TrueAsync(() => Task.FromResult(fixture.Receiver.Requests.Any(r => r.Path == path && r.Header("webhook-id") == error)), "the error event");
        fixture.Receiver.Requests.Should().NotContain(r => r.Header("webhook-id") == info);

        var cleared = await (await client.SendJsonAsync(HttpMethod.Patch, $"/webhooks/{created["id"]}", """{"filter":{}}""")).JsonAsync(HttpStatusCode.OK);
        cleared["filter"]!.ToJsonString().Should().Be("{}");
        var info2 = await PublishAsync("info");
        await Eventually.TrueAsync(() => Task.FromResult(fixture.Receiver.Requests.Any(r => r.Header("webhook-id") == info2)), "the unfiltered event");
    }

    [Fact]
    public async Task Create_AuthKinds_MaskEveryValueOnRead()
    {
        using var client = _host.Client(ApiFixture.NewOwner());
        var bearer = await (await client.PostJsonAsync("/webhooks", new { name = "b", url = "https://example.com/b", events = new[] { "order.*" }, auth = new { type = "bearer", token = "tok-123" } }))
            .JsonAsync(HttpStatusCode.Created);
        var apiKey = await (await client.PostJsonAsync("/webhooks", new { name = "k", url = "https://example.com/k", events = new[] { "order.*" }, auth = new { type = "apiKey", headerName = "X-Api-Key", key = "key-456" } }))
            .JsonAsync(HttpStatusCode.Created);

        bearer["auth"]!.ToJsonString().Should().Be("""{"type":"bearer","token":"****"}""");
        apiKey["auth"]!.ToJsonString().Should().Be("""{"type":"apiKey","headerName":"X-Api-Key","key":"****"}""");
        var page = await client.GetStringAsync("/webhooks");
        page.Should().NotContain("tok-123").And.NotContain("key-456");
    }

    [Fact]
    public async Task List_ManySubscriptions_PagesWithOpaqueCursorAndFilters()
    {
        using var client = _host.Client(ApiFixture.NewOwner());
        for (int i = 0; i < 5; i++)
        {
            await client.CreateSubscriptionAsync($"s{i}", $"https://example.com/{i}", i % 2 == 0 ? "order.created" : "item-add");
        }

        var s0 = (string)(await (await client.GetAsync("/webhooks?limit=1")).JsonAsync(HttpStatusCode.OK))["items"]![0]!["id"]!;
        (await client.PostAsync($"/webhooks/{s0}/disable", null)).StatusCode.Should().Be(HttpStatusCode.OK);

        var first = await (await client.GetAsync("/webhooks?limit=2")).JsonAsync(HttpStatusCode.OK);
        first["items"]!.AsArray().Select(s => (string)s!["name"]!).Should().Equal("s0", "s1");
        var cursor = first["nextCursor"]!.GetValue<string>();
        cursor.Should().NotStartWith("sub_", "the cursor is opaque");
        var second = await (await client.GetAsync($"/webhooks?limit=2&cursor={Uri.EscapeDataString(cursor)}")).JsonAsync(HttpStatusCode.OK);
        second["items"]!.AsArray().Select(s => (string)s!["name"]!).Should().Equal("s2", "s3");
        var third = await (await client.GetAsync($"/webhooks?limit=2&cursor={Uri.EscapeDataString(second["nextCursor"]!.GetValue<string>())}")).JsonAsync(HttpStatusCode.OK);
        third["items"]!.AsArray().Select(s => (string)s!["name"]!).Should().Equal("s4");
        third["nextCursor"].Should().BeNull();

        var byEvent = await (await client.GetAsync("/webhooks?event=item-add")).JsonAsync(HttpStatusCode.OK);
        byEvent["items"]!.AsArray().Select(s => (string)s!["name"]!).Should().Equal("s1", "s3");
        var inactive = await (await client.GetAsync("/webhooks?active=false")).JsonAsync(HttpStatusCode.OK);
        inactive["items"]!.AsArray().Select(s => (string)s!["name"]!).Should().Equal("s0");
        var active = await (await client.GetAsync("/webhooks?active=true&event=order.created")).JsonAsync(HttpStatusCode.OK);
        active["items"]!.AsArray().Select(s => (string)s!["name"]!).Should().Equal("s2", "s4");
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("PATCH")]
    public async Task Update_PartialBody_ChangesOnlyGivenFieldsAndBumpsETag(string method)
    {
        using var client = _host.Client(ApiFixture.NewOwner());
        var created = await client.CreateSubscriptionAsync("orders", "https://example.com/a", "order.created");
        var id = (string)created["id"]!;

        var response = await client.SendJsonAsync(new HttpMethod(method), $"/webhooks/{id}", """{"events":["order.created","order.deleted"],"description":"now with deletes"}""");

        var updated = await response.JsonAsync(HttpStatusCode.OK);
        updated["events"]!.AsArray().Select(e => (string)e!).Should().Equal("order.created", "order.deleted");
        updated["description"]!.GetValue<string>().Should().Be("now with deletes");
        updated["name"]!.GetValue<string>().Should().Be("orders");
        updated["url"]!.GetValue<string>().Should().Be("https://example.com/a");
        updated["version"]!.GetValue<long>().Should().Be(2);
        updated["secret"]!.GetValue<string>().Should().Be("whsec_…" + ((string)created["secret"]!)[^4..]);
        response.Headers.ETag!.Tag.Should().Be("\"2\"");
    }

    [Fact]
    public async Task Update_IfMatchCurrent_Succeeds_IfMatchStale_Returns412()
    {
        using var client = _host.Client(ApiFixture.NewOwner());
        var id = (string)(await client.CreateSubscriptionAsync("orders", "https://example.com/a"))["id"]!;
        var etag = (await client.GetAsync($"/webhooks/{id}")).Headers.ETag!;

        var first = await client.SendJsonAsync(HttpMethod.Patch, $"/webhooks/{id}", """{"name":"renamed"}""", r => r.Headers.IfMatch.Add(etag));
        var stale = await client.SendJsonAsync(HttpMethod.Patch, $"/webhooks/{id}", """{"name":"again"}""", r => r.Headers.IfMatch.Add(etag));
        var weak = await client.SendJsonAsync(HttpMethod.Put, $"/webhooks/{id}", """{"name":"again"}""", r => r.Headers.IfMatch.Add(new EntityTagHeaderValue("\"2\"", isWeak: true)));
        var any = await client.SendJsonAsync(HttpMethod.Put, $"/webhooks/{id}", """{"name":"any"}""", r => r.Headers.IfMatch.Add(EntityTagHeaderValue.Any));

        (await first.JsonAsync(HttpStatusCode.OK))["name"]!.GetValue<string>().Should().Be("renamed");
        var problem = await stale.ProblemAsync(HttpStatusCode.PreconditionFailed);
        problem["detail"]!.GetValue<string>().Should().Contain("version 1").And.Contain("has 2");
        await weak.ProblemAsync(HttpStatusCode.PreconditionFailed);
        (await any.JsonAsync(HttpStatusCode.OK))["name"]!.GetValue<string>().Should().Be("any");
        (await (await client.GetAsync($"/webhooks/{id}")).JsonAsync(HttpStatusCode.OK))["version"]!.GetValue<long>().Should().Be(3);
    }

    [Fact]
    public async Task Delete_Existing_Returns204ThenNotFound_StaleIfMatch_Returns412()
    {
        using var client = _host.Client(ApiFixture.NewOwner());
        var id = (string)(await client.CreateSubscriptionAsync("orders", "https://example.com/a"))["id"]!;

        var stale = await client.SendJsonAsync(HttpMethod.Delete, $"/webhooks/{id}", null, r => r.Headers.IfMatch.Add(new EntityTagHeaderValue("\"7\"")));
        await stale.ProblemAsync(HttpStatusCode.PreconditionFailed);

        var deleted = await client.SendJsonAsync(HttpMethod.Delete, $"/webhooks/{id}", null, r => r.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\"")));
        deleted.StatusCode.Should().Be(HttpStatusCode.NoContent);
        await (await client.GetAsync($"/webhooks/{id}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await client.DeleteAsync($"/webhooks/{id}")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task DisableEnable_TogglesActive_EnableClearsAutomaticDisable()
    {
        var owner = ApiFixture.NewOwner();
        using var client = _host.Client(owner);
        var id = (string)(await client.CreateSubscriptionAsync("orders", fixture.Receiver.Url("/gone")))["id"]!;

        var disabled = await (await client.PostAsync($"/webhooks/{id}/disable", null)).JsonAsync(HttpStatusCode.OK);
        disabled["active"]!.GetValue<bool>().Should().BeFalse();
        var enabled = await (await client.PostAsync($"/webhooks/{id}/enable", null)).JsonAsync(HttpStatusCode.OK);
        enabled["active"]!.GetValue<bool>().Should().BeTrue();

        // An automatic disable: the receiver answers 410 Gone.
        fixture.Receiver.Responder = (ctx, _) =>
        {
            ctx.Response.StatusCode = ctx.Request.Path == "/gone" ? 410 : 200;
            return Task.CompletedTask;
        };
        await _host.Publisher.PublishAsync("order.created", new { id = 1 }, new WebhookPublishOptions { Owner = owner });
        var auto = await Eventually.GetAsync(async () =>
        {
            var s = await (await client.GetAsync($"/webhooks/{id}")).JsonAsync(HttpStatusCode.OK);
            return s["active"]!.GetValue<bool>() ? null : s;
        }, "the 410 to disable the subscription");
        auto["disabledReason"]!.GetValue<string>().Should().Contain("410");

        var reenabled = await (await client.PostAsync($"/webhooks/{id}/enable", null)).JsonAsync(HttpStatusCode.OK);
        reenabled["active"]!.GetValue<bool>().Should().BeTrue();
        reenabled["disabledReason"].Should().BeNull();
    }

    [Fact]
    public async Task RotateSecret_ShowsNewSecretOnce_OldKeepsSigningDuringGrace()
    {
        var owner = ApiFixture.NewOwner();
        using var client = _host.Client(owner);
        var path = "/rotate-" + Guid.NewGuid().ToString("N");
        var created = await client.CreateSubscriptionAsync("orders", fixture.Receiver.Url(path), "order.created");
        var id = (string)created["id"]!;
        var oldSecret = (string)created["secret"]!;

        var response = await client.PostAsync($"/webhooks/{id}/rotate-secret", null);
        var rotated = await response.JsonAsync(HttpStatusCode.OK);
        var newSecret = (string)rotated["secret"]!;
        newSecret.Should().StartWith("whsec_").And.NotBe(oldSecret).And.HaveLength(50);
        response.Headers.ETag!.Tag.Should().Be("\"2\"");
        (await (await client.GetAsync($"/webhooks/{id}")).JsonAsync(HttpStatusCode.OK))["secret"]!.GetValue<string>().Should().Be("whsec_…" + newSecret[^4..]);

        var result = await _host.Publisher.PublishAsync("order.created", new { id = 7 }, new WebhookPublishOptions { Owner = owner });
        var request = await Eventually.GetAsync(() => Task.FromResult(fixture.Receiver.Requests.FirstOrDefault(r => r.Path == path && r.Header("webhook-id") == result.MessageId)), "the delivery");
        request.Header("webhook-signature")!.Split(' ').Should().HaveCount(2);
        foreach (var secret in new[] { newSecret, oldSecret })
        {
            var verified = new WebhookVerifier(secret).Verify(request.Header("webhook-id"), request.Header("webhook-timestamp"), request.Header("webhook-signature"), request.Body);
            verified.IsValid.Should().BeTrue(verified.Message);
        }

        var chosen = "whsec_" + Convert.ToBase64String(new byte[32].Select((_, i) => (byte)i).ToArray());
        var given = await (await client.SendJsonAsync(HttpMethod.Post, $"/webhooks/{id}/rotate-secret", $$"""{"secret":"{{chosen}}"}""")).JsonAsync(HttpStatusCode.OK);
        given["secret"]!.GetValue<string>().Should().Be(chosen);
    }

    [Fact]
    public async Task Test_SavedSubscription_SendsSignedWebhookTestAndReportsOutcome()
    {
        using var client = _host.Client(ApiFixture.NewOwner());
        var path = "/test-" + Guid.NewGuid().ToString("N");
        var created = await client.CreateSubscriptionAsync("orders", fixture.Receiver.Url(path));
        fixture.Receiver.Responder = async (ctx, _) =>
        {
            ctx.Response.StatusCode = ctx.Request.Path == path ? 202 : 200;
            await ctx.Response.WriteAsync("thanks");
        };

        var result = await (await client.PostAsync($"/webhooks/{created["id"]}/test", null)).JsonAsync(HttpStatusCode.OK);

        result["succeeded"]!.GetValue<bool>().Should().BeTrue();
        result["statusCode"]!.GetValue<int>().Should().Be(202);
        result["responseExcerpt"]!.GetValue<string>().Should().Be("thanks");
        result["errorKind"]!.GetValue<string>().Should().Be("none");
        result["durationMs"]!.GetValue<double>().Should().BeGreaterThanOrEqualTo(0);
        var request = fixture.Receiver.Requests.Single(r => r.Path == path);
        JsonNode.Parse(request.BodyText)!["type"]!.GetValue<string>().Should().Be("webhook.test");
        new WebhookVerifier((string)created["secret"]!).Verify(request.Header("webhook-id"), request.Header("webhook-timestamp"), request.Header("webhook-signature"), request.Body)
            .IsValid.Should().BeTrue();
    }

    [Fact]
    public async Task Test_UnsavedUrlWithAuth_SendsAndReportsFailure()
    {
        using var client = _host.Client(ApiFixture.NewOwner());
        var path = "/unsaved-" + Guid.NewGuid().ToString("N");
        fixture.Receiver.Responder = async (ctx, _) =>
        {
            ctx.Response.StatusCode = ctx.Request.Path == path ? 500 : 200;
            await ctx.Response.WriteAsync("boom");
        };

        var result = await (await client.PostJsonAsync("/webhooks/test", new { url = fixture.Receiver.Url(path), auth = new { type = "bearer", token = "t0k" }, headers = new Dictionary<string, string> { ["X-Trace"] = "1" } }))
            .JsonAsync(HttpStatusCode.OK);

        result["succeeded"]!.GetValue<bool>().Should().BeFalse();
        result["statusCode"]!.GetValue<int>().Should().Be(500);
        result["errorKind"]!.GetValue<string>().Should().Be("httpStatus");
        result["error"]!.GetValue<string>().Should().Contain("500");
        result["responseExcerpt"]!.GetValue<string>().Should().Be("boom");
        var request = fixture.Receiver.Requests.Single(r => r.Path == path);
        request.Header("authorization").Should().Be("Bearer t0k");
        request.Header("x-trace").Should().Be("1");
    }

    [Fact]
    public async Task Test_UnreachableUrl_ReportsConnectionFailure()
    {
        using var client = _host.Client(ApiFixture.NewOwner());
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var result = await (await client.PostJsonAsync("/webhooks/test", new { url = $"http://127.0.0.1:{port}/nobody" })).JsonAsync(HttpStatusCode.OK);

        result["succeeded"]!.GetValue<bool>().Should().BeFalse();
        result["statusCode"].Should().BeNull();
        result["errorKind"]!.GetValue<string>().Should().Be("connectionFailed");
        result["error"]!.GetValue<string>().Should().NotBeNullOrEmpty();
    }

    [Fact]
    public async Task ImportedId_NotMintedByTheLibrary_WorksOnEveryRoute()
    {
        // An id brought by an import keeps the id rules (prefix, ASCII letters, digits, '_' and '-',
        // at most 64 characters) without the library's 26-character shape.
        var owner = ApiFixture.NewOwner();
        using var client = _host.Client(owner);
        const string id = "sub_legacy-import_42";
        var now = DateTimeOffset.UtcNow;
        await _host.Services.GetRequiredService<IWebhookSubscriptionStore>().CreateAsync(
            new WebhookSubscription
            {
                Id = id, Owner = owner, Name = "imported", Url = "https://example.com/imported", Events = ["order.*"],
                Secrets = [new WebhookSecret(WebhookSecret.Generate())], CreatedAt = now, UpdatedAt = now, Version = 1,
            },
            default);

        var read = await client.GetAsync($"/webhooks/{id}");
        (await read.JsonAsync(HttpStatusCode.OK))["name"]!.GetValue<string>().Should().Be("imported");
        var patched = await client.SendJsonAsync(HttpMethod.Patch, $"/webhooks/{id}", """{"description":"moved over"}""", r => r.Headers.IfMatch.Add(read.Headers.ETag!));
        (await patched.JsonAsync(HttpStatusCode.OK))["version"]!.GetValue<long>().Should().Be(2);
        (await (await client.GetAsync("/webhooks?limit=1")).JsonAsync(HttpStatusCode.OK))["items"]![0]!["id"]!.GetValue<string>().Should().Be(id);
        (await (await client.PostAsync($"/webhooks/{id}/disable", null)).JsonAsync(HttpStatusCode.OK))["active"]!.GetValue<bool>().Should().BeFalse();
        (await (await client.GetAsync($"/webhooks/{id}/deliveries")).JsonAsync(HttpStatusCode.OK))["items"]!.AsArray().Should().BeEmpty();
        (await (await client.GetAsync($"/webhooks/deliveries?subscription={id}")).JsonAsync(HttpStatusCode.OK))["items"]!.AsArray().Should().BeEmpty();
        (await (await client.GetAsync($"/webhooks/{id}/stats")).JsonAsync(HttpStatusCode.OK))["failed"]!.GetValue<int>().Should().Be(0);
        (await client.PostAsync($"/webhooks/{id}/rotate-secret", null)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.DeleteAsync($"/webhooks/{id}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        await (await client.GetAsync($"/webhooks/{id}")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public void Models_HttpDtos_AreSealedClassesNotRecords()
    {
        var models = typeof(Webhooks.AspNetCore.Models.WebhookSubscriptionResponse).Assembly.GetExportedTypes()
            .Where(t => t.Namespace == "Webhooks.AspNetCore.Models")
            .ToList();

        models.Should().HaveCountGreaterThan(10).And.OnlyContain(t => t.IsClass && t.IsSealed, "DTOs are not meant to be extended");
        models.Should().OnlyContain(t => t.GetMethod("<Clone>$") == null, "records' generated equality and cloning is API nobody needs");
    }
}
