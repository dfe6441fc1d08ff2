using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.AspNetCore.Receiving;
using Webhooks.Core;
using Webhooks.Core.Delivery;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.AspNetCore.Tests.Receiving;

public sealed class RequireWebhookSignatureTests : IAsyncLifetime
{
    private const string Secret = "whsec_cmVjZWl2ZXItc2VjcmV0LWtleS0wMTIzNDU2Nzg5YWI=";
    private const string NextSecret = "whsec_bmV4dC1yZWNlaXZlci1zZWNyZXQta2V5LTAxMjM0NTY=";
    private const string OtherSecret = "whsec_b3RoZXItc2VuZGVyLXNlY3JldC1rZXktMDEyMzQ1Njc=";
    private const string Body = """{"type":"order.created","data":{"id":42}}""";

    private SignedReceiverApp _app = null!;
    private int _failuresLeft;

    public async Task InitializeAsync()
    {
        _app = await SignedReceiverApp.StartAsync((app, r) =>
        {
            app.MapPost("/hooks", (VerifiedWebhook webhook, [FromBody] JsonElement payload) =>
            {
                r.Handled.Enqueue(webhook.Id);
                return Results.Ok(new { id = webhook.Id, scheme = webhook.Scheme, bound = payload.GetRawText(), verified = webhook.BodyText, timestamp = webhook.Timestamp });
            }).RequireWebhookSignature(Secret);

            app.MapPost("/hooks/stream", async (HttpRequest request) =>
            {
                using var reader = new StreamReader(request.Body, Encoding.UTF8);
                var text = await reader.ReadToEndAsync();
                r.Handled.Enqueue(request.HttpContext.GetVerifiedWebhook()!.Id);
                return Results.Text(text);
            }).RequireWebhookSignature(Secret);

            app.MapPost("/hooks/rotation", (VerifiedWebhook webhook) => { r.Handled.Enqueue(webhook.Id); return Results.NoContent(); })
                .RequireWebhookSignature(Secret, NextSecret);

            app.MapPost("/hooks/flaky", (VerifiedWebhook webhook) =>
            {
                r.Handled.Enqueue(webhook.Id);
                return Interlocked.Decrement(ref _failuresLeft) >= 0 ? Results.StatusCode(503) : Results.NoContent();
            }).RequireWebhookSignature(Secret);

            app.MapPost("/hooks/small", (VerifiedWebhook webhook) => { r.Handled.Enqueue(webhook.Id); return Results.NoContent(); })
                .RequireWebhookSignature(o => { o.Secrets.Add(Secret); o.MaxBodySize = 1024; });

            app.MapPost("/hooks/strict", (VerifiedWebhook webhook) => { r.Handled.Enqueue(webhook.Id); return Results.NoContent(); })
                .RequireWebhookSignature(o => { o.Secrets.Add(Secret); o.Tolerance = TimeSpan.FromMinutes(1); });

            app.MapPost("/hooks/hex", (VerifiedWebhook webhook) => { r.Handled.Enqueue(webhook.Id); return Results.Ok(new { scheme = webhook.Scheme }); })
                .RequireWebhookSignature(o => { o.Secrets.Add(Secret); o.AcceptHmacSha256Hex = true; });

            var group = app.MapGroup("/grouped").RequireWebhookSignature(Secret);
            group.MapPost("/orders", (VerifiedWebhook webhook) => { r.Handled.Enqueue(webhook.Id); return Results.NoContent(); });

            app.MapPost("/hooks/tenants/{tenant}", (VerifiedWebhook webhook) => { r.Handled.Enqueue(webhook.Id); return Results.NoContent(); })
                .RequireWebhookSignature(ctx => ctx.RequestServices.GetRequiredService<TenantSecrets>().For((string)ctx.GetRouteValue("tenant")!));
        }, s => s.AddSingleton(new TenantSecrets { ["acme"] = Secret, ["globex"] = OtherSecret }));
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task RequireWebhookSignature_DeliveryFromThisLibrary_AcceptedEndToEnd()
    {
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        var created = await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "r", Url = _app.Url("/hooks"), Events = ["order.created"], Secret = Secret });

        await host.Publisher.PublishAsync("order.created", new { id = 42 });

        var delivery = await Eventually.GetAsync(async () =>
        {
            var page = await host.Deliveries.GetDeliveriesAsync(null, created.Subscription.Id);
            return page!.Items.FirstOrDefault(d => d.Status == WebhookDeliveryStatus.Succeeded);
        }, "a succeeded delivery");
        _app.Handled.Should().ContainSingle().Which.Should().Be(delivery.MessageId);
    }

    [Fact]
    public async Task RequireWebhookSignature_ValidRequest_HandlerBindsBodyAndSeesVerifiedWebhook()
    {
        var at = DateTimeOffset.UtcNow;
        using var response = await _app.SendAsync(SignedRequests.Create(_app.Url("/hooks"), Secret, Body, "msg_bound", at));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        json.GetProperty("id").GetString().Should().Be("msg_bound");
        json.GetProperty("scheme").GetString().Should().Be("v1");
        json.GetProperty("bound").GetString().Should().Be(Body);
        json.GetProperty("verified").GetString().Should().Be(Body);
        json.GetProperty("timestamp").GetDateTimeOffset().ToUnixTimeSeconds().Should().Be(at.ToUnixTimeSeconds());
    }

    [Fact]
    public async Task RequireWebhookSignature_HandlerReadsRequestBody_GetsTheWholeBodyAgain()
    {
        var large = "{\"data\":\"" + new string('x', 200_000) + "\"}";
        using var response = await _app.SendAsync(SignedRequests.Create(_app.Url("/hooks/stream"), Secret, large));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Be(large);
    }

    public static TheoryData<string, Func<string, HttpRequestMessage>, string, string> BadRequests() => new()
    {
        { "tampered body", url => Tamper(SignedRequests.Create(url, Secret, Body)), "invalid-signature", "No signature matches" },
        { "wrong secret", url => SignedRequests.Create(url, OtherSecret, Body), "invalid-signature", "No signature matches" },
        { "old timestamp", url => SignedRequests.Create(url, Secret, Body, at: DateTimeOffset.UtcNow.AddMinutes(-6)), "timestamp-too-old", "too old" },
        { "future timestamp", url => SignedRequests.Create(url, Secret, Body, at: DateTimeOffset.UtcNow.AddMinutes(6)), "timestamp-too-new", "in the future" },
        { "no signature header", url => Without(SignedRequests.Create(url, Secret, Body), "webhook-signature"), "missing-signature", "no webhook-signature header" },
        { "no id header", url => Without(SignedRequests.Create(url, Secret, Body), "webhook-id"), "missing-signature", "no webhook-id header" },
        { "no headers at all", url => new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(Body, Encoding.UTF8, "application/json") }, "missing-signature", "no webhook-id, webhook-timestamp, webhook-signature header" },
        { "timestamp not a number", url => Replace(SignedRequests.Create(url, Secret, Body), "webhook-timestamp", "yesterday"), "invalid-timestamp", "not Unix seconds" },
        { "signature not v1", url => Replace(SignedRequests.Create(url, Secret, Body), "webhook-signature", "v2,abc"), "malformed-signature", "no 'v1,<base64>'" },
        { "signature not base64", url => Replace(SignedRequests.Create(url, Secret, Body), "webhook-signature", "v1,%%%"), "invalid-signature", "No signature matches" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task RequireWebhookSignature_BadRequest_Answers401ProblemThatSaysWhy(string scenario, Func<string, HttpRequestMessage> request, string type, string detail)
    {
        using var response = await _app.SendAsync(request(_app.Url("/hooks")));

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized, scenario);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var text = await response.Content.ReadAsStringAsync();
        var problem = JsonDocument.Parse(text).RootElement;
        problem.GetProperty("status").GetInt32().Should().Be(401);
        problem.GetProperty("type").GetString().Should().Be("urn:webhooks-core:receiver:" + type, scenario);
        problem.GetProperty("detail").GetString().Should().Contain(detail, scenario);
        text.Should().NotContain(Secret["whsec_".Length..]).And.NotContain(OtherSecret["whsec_".Length..]);
        _app.Handled.Should().BeEmpty(scenario);
    }

    [Fact]
    public async Task RequireWebhookSignature_ToleranceConfigured_TwoMinuteOldTimestampRefusedOnlyWhereStricter()
    {
        var at = DateTimeOffset.UtcNow.AddMinutes(-2);
        using var strict = await _app.SendAsync(SignedRequests.Create(_app.Url("/hooks/strict"), Secret, Body, at: at));
        using var lenient = await _app.SendAsync(SignedRequests.Create(_app.Url("/hooks"), Secret, Body, at: at));

        strict.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await strict.Content.ReadAsStringAsync()).Should().Contain("timestamp-too-old");
        lenient.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task RequireWebhookSignature_ReplayedId_Answers409AndHandlerRunsOnce()
    {
        using var first = await _app.SendAsync(SignedRequests.Create(_app.Url("/hooks"), Secret, Body, "msg_replayed"));
        using var replay = await _app.SendAsync(SignedRequests.Create(_app.Url("/hooks"), Secret, Body, "msg_replayed"));

        first.StatusCode.Should().Be(HttpStatusCode.OK);
        replay.StatusCode.Should().Be(HttpStatusCode.Conflict);
        var problem = await replay.Content.ReadFromJsonAsync<JsonElement>();
        problem.GetProperty("type").GetString().Should().Be("urn:webhooks-core:receiver:replayed");
        _app.Handled.Should().Equal("msg_replayed");
    }

    [Fact]
    public async Task RequireWebhookSignature_HandlerFailed_RetryWithSameIdGetsThrough()
    {
        _failuresLeft = 1;
        using var first = await _app.SendAsync(SignedRequests.Create(_app.Url("/hooks/flaky"), Secret, Body, "msg_retried"));
        using var retry = await _app.SendAsync(SignedRequests.Create(_app.Url("/hooks/flaky"), Secret, Body, "msg_retried"));
        using var replay = await _app.SendAsync(SignedRequests.Create(_app.Url("/hooks/flaky"), Secret, Body, "msg_retried"));

        first.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        retry.StatusCode.Should().Be(HttpStatusCode.NoContent);
        replay.StatusCode.Should().Be(HttpStatusCode.Conflict);
        _app.Handled.Should().Equal("msg_retried", "msg_retried");
    }

    [Fact]
    public async Task RequireWebhookSignature_Rotation_AcceptsEitherSecretAndRefusesAThird()
    {
        using var old = await _app.SendAsync(SignedRequests.Create(_app.Url("/hooks/rotation"), Secret, Body));
        using var next = await _app.SendAsync(SignedRequests.Create(_app.Url("/hooks/rotation"), NextSecret, Body));
        using var other = await _app.SendAsync(SignedRequests.Create(_app.Url("/hooks/rotation"), OtherSecret, Body));

        old.StatusCode.Should().Be(HttpStatusCode.NoContent);
        next.StatusCode.Should().Be(HttpStatusCode.NoContent);
        other.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        _app.Handled.Should().HaveCount(2);
    }

    [Fact]
    public async Task RequireWebhookSignature_OnRouteGroup_AppliesToItsEndpoints()
    {
        using var signed = await _app.SendAsync(SignedRequests.Create(_app.Url("/grouped/orders"), Secret, Body));
        using var unsigned = await _app.SendAsync(new HttpRequestMessage(HttpMethod.Post, _app.Url("/grouped/orders")) { Content = new StringContent(Body, Encoding.UTF8, "application/json") });

        signed.StatusCode.Should().Be(HttpStatusCode.NoContent);
        unsigned.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        _app.Handled.Should().HaveCount(1);
    }

    [Fact]
    public async Task RequireWebhookSignature_SecretResolver_UsesTheSecretsOfTheRequest()
    {
        using var acme = await _app.SendAsync(SignedRequests.Create(_app.Url("/hooks/tenants/acme"), Secret, Body));
        using var globex = await _app.SendAsync(SignedRequests.Create(_app.Url("/hooks/tenants/globex"), OtherSecret, Body));
        using var crossed = await _app.SendAsync(SignedRequests.Create(_app.Url("/hooks/tenants/globex"), Secret, Body));

        acme.StatusCode.Should().Be(HttpStatusCode.NoContent);
        globex.StatusCode.Should().Be(HttpStatusCode.NoContent);
        crossed.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RequireWebhookSignature_BodyOverLimit_Answers413(bool chunked)
    {
        var body = "{\"data\":\"" + new string('x', 2000) + "\"}";
        var request = SignedRequests.Create(_app.Url("/hooks/small"), Secret, body);
        if (chunked)
        {
            request.Content = new StreamContent(new NonSeekableStream(Encoding.UTF8.GetBytes(body)));
            request.Headers.TransferEncodingChunked = true;
        }

        using var response = await _app.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        problem.GetProperty("type").GetString().Should().Be("urn:webhooks-core:receiver:body-too-large");
        problem.GetProperty("detail").GetString().Should().Contain("1024-byte limit");
        _app.Handled.Should().BeEmpty();
    }

    [Fact]
    public async Task RequireWebhookSignature_BodyAtLimit_Accepted()
    {
        var body = "{\"d\":\"" + new string('x', 1024 - 8) + "\"}";
        Encoding.UTF8.GetByteCount(body).Should().Be(1024);
        using var response = await _app.SendAsync(SignedRequests.Create(_app.Url("/hooks/small"), Secret, body));

        response.StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task RequireWebhookSignature_HexSchemeWhenEnabled_AcceptedElsewhereRefused()
    {
        HttpRequestMessage Hex(string path, string id)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, _app.Url(path)) { Content = new StringContent(Body, Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation("webhook-id", id);
            request.Headers.TryAddWithoutValidation("X-Webhook-Signature", SignedRequests.HexSignature(Secret, Encoding.UTF8.GetBytes(Body)));
            return request;
        }

        using var enabled = await _app.SendAsync(Hex("/hooks/hex", "msg_hex"));
        using var replay = await _app.SendAsync(Hex("/hooks/hex", "msg_hex"));
        using var disabled = await _app.SendAsync(Hex("/hooks", "msg_hex2"));

        enabled.StatusCode.Should().Be(HttpStatusCode.OK);
        (await enabled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("scheme").GetString().Should().Be("sha256");
        replay.StatusCode.Should().Be(HttpStatusCode.Conflict);
        disabled.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("no secret")]
    [InlineData("bad secret")]
    [InlineData("zero tolerance")]
    [InlineData("zero body")]
    [InlineData("huge body")]
    public void RequireWebhookSignature_InvalidOptions_ThrowsWebhookExceptionNamingNoSecret(string scenario)
    {
        var builder = WebApplication.CreateSlimBuilder().Build();
        var endpoint = builder.MapPost("/x", () => Results.Ok());
        const string badSecret = "whsec_not*base64*value";

        var act = () => endpoint.RequireWebhookSignature(o =>
        {
            switch (scenario)
            {
                case "bad secret": o.Secrets.Add(badSecret); break;
                case "zero tolerance": o.Secrets.Add(Secret); o.Tolerance = TimeSpan.Zero; break;
                case "zero body": o.Secrets.Add(Secret); o.MaxBodySize = 0; break;
                case "huge body": o.Secrets.Add(Secret); o.MaxBodySize = 4L * 1024 * 1024 * 1024; break;
            }
        });

        act.Should().Throw<WebhookException>().Which.Message.Should().StartWith("RequireWebhookSignature:")
            .And.NotContain("not*base64").And.NotContain(Secret);
    }

    private static HttpRequestMessage Tamper(HttpRequestMessage request)
    {
        request.Content = new StringContent(Body.Replace("42", "43", StringComparison.Ordinal), Encoding.UTF8, "application/json");
        return request;
    }

    private static HttpRequestMessage Without(HttpRequestMessage request, string header)
    {
        request.Headers.Remove(header);
        return request;
    }

    private static HttpRequestMessage Replace(HttpRequestMessage request, string header, string value)
    {
        request.Headers.Remove(header);
        request.Headers.TryAddWithoutValidation(header, value);
        return request;
    }

    private sealed class TenantSecrets : Dictionary<string, string>
    {
        public IEnumerable<string> For(string tenant) => TryGetValue(tenant, out var s) ? [s] : [];
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
