using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Delivery;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Security;

/// <summary>Custom headers and auth cannot smuggle lines, hop-by-hop headers, Host, or a signature.</summary>
public sealed class HeaderInjectionTests : IAsyncLifetime
{
    private WebhookHost _host = null!;

    public async Task InitializeAsync() => _host = await WebhookHost.StartAsync(
        b => b.AddEventType("order.created"),
        o =>
        {
            o.EventTypeHeader = "X-Webhook-Action";
            o.SubscriptionNameHeader = "X-Webhook-Name";
        },
        start: false);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public static TheoryData<string, string, string> BadHeaders => new()
    {
        // Line breaks and control characters in values: response splitting / header injection.
        { "X-Tenant", "acme\r\nX-Injected: 1", "must not contain line breaks or control characters" },
        { "X-Tenant", "acme\nX-Injected: 1", "must not contain line breaks or control characters" },
        { "X-Tenant", "acme\rX-Injected: 1", "must not contain line breaks or control characters" },
        { "X-Tenant", "acme\0", "must not contain line breaks or control characters" },
        { "X-Tenant", "acme\u0085next", "must not contain line breaks or control characters" },
        { "X-Tenant", "acme\u001b[31m", "must not contain line breaks or control characters" },
        { "X-Tenant", "caf\u00e9", "printable ASCII" },
        { "X-Tenant", "line\u2028separator", "printable ASCII" },
        // Names that are not tokens.
        { "X-Tenant\r\nX-Injected", "1", "may hold only letters, digits" },
        { "X Tenant", "1", "may hold only letters, digits" },
        { "X-Tenant:", "1", "may hold only letters, digits" },
        { "", "1", "may hold only letters, digits" },
        { "X-T\u00e9nant", "1", "may hold only letters, digits" },
        // Transport and hop-by-hop headers.
        { "Host", "internal.example", "cannot be overridden" },
        { "host", "internal.example", "cannot be overridden" },
        { "Content-Length", "0", "cannot be overridden" },
        { "Content-Type", "text/plain", "cannot be overridden" },
        { "Content-Encoding", "gzip", "cannot be overridden" },
        { "Transfer-Encoding", "chunked", "cannot be overridden" },
        { "Connection", "close", "cannot be overridden" },
        { "Keep-Alive", "timeout=5", "cannot be overridden" },
        { "Upgrade", "websocket", "cannot be overridden" },
        { "TE", "trailers", "cannot be overridden" },
        { "Trailer", "X-Sig", "cannot be overridden" },
        { "Expect", "100-continue", "cannot be overridden" },
        { "Proxy-Authorization", "Basic eA==", "cannot be overridden" },
        { "Proxy-Connection", "keep-alive", "cannot be overridden" },
        { "Proxy-Anything", "1", "cannot be overridden" },
        // Auth and signature headers the library sets.
        { "Authorization", "Bearer forged", "cannot be overridden" },
        { "Cookie", "session=1", "cannot be overridden" },
        { "User-Agent", "forged", "cannot be overridden" },
        { "webhook-id", "msg_forged", "cannot be overridden" },
        { "Webhook-Timestamp", "0", "cannot be overridden" },
        { "WEBHOOK-SIGNATURE", "v1,forged", "cannot be overridden" },
        { "X-Webhook-Signature", "sha256=forged", "cannot be overridden" },
        { "X-Webhook-Action", "order.deleted", "cannot be overridden" },
        { "X-Webhook-Name", "someone-else", "cannot be overridden" },
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public async Task Create_BadCustomHeader_IsRejectedOnHeadersField(string name, string value, string message)
    {
        var act = () => _host.Subscriptions.CreateAsync(null, Valid() with { Headers = new Dictionary<string, string> { [name] = value } });

        var error = (await act.Should().ThrowAsync<WebhookValidationException>()).Which;
        error.Errors.Should().ContainKey("headers").WhoseValue.Should().Contain(m => m.Contains(message));
        error.Message.Should().NotContain("\r").And.NotContain("\n");
    }

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public async Task Update_BadCustomHeader_IsRejectedAndNothingChanges(string name, string value, string message)
    {
        var created = await _host.Subscriptions.CreateAsync(null, Valid() with { Name = "u-" + Guid.NewGuid().ToString("N")[..8] });

        var act = () => _host.Subscriptions.UpdateAsync(null, created.Subscription.Id, new WebhookSubscriptionPatch { Headers = new Dictionary<string, string> { [name] = value } });

        (await act.Should().ThrowAsync<WebhookValidationException>()).Which.Errors["headers"].Should().Contain(m => m.Contains(message));
        (await _host.Subscriptions.GetAsync(null, created.Subscription.Id))!.Headers.Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public async Task SendTest_BadCustomHeader_IsRejectedBeforeSending(string name, string value, string message)
    {
        var act = () => _host.TestSender.SendAsync(new WebhookTestTarget { Url = "https://public.example/hook", Headers = new Dictionary<string, string> { [name] = value } });

        (await act.Should().ThrowAsync<WebhookValidationException>()).Which.Errors["headers"].Should().Contain(m => m.Contains(message));
    }

    [Fact]
    public async Task Create_HeaderNamedLikeApiKeyHeader_IsRejected()
    {
        var act = () => _host.Subscriptions.CreateAsync(null, Valid() with
        {
            Auth = WebhookAuth.ApiKey("X-Api-Key", "k-123"),
            Headers = new Dictionary<string, string> { ["x-api-key"] = "forged" },
        });

        (await act.Should().ThrowAsync<WebhookValidationException>()).Which.Errors["headers"].Should().ContainSingle().Which.Should().Contain("cannot be overridden");
    }

    [Fact]
    public async Task Create_SameHeaderTwiceDifferingInCase_IsRejected()
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal) { ["X-Tenant"] = "a", ["x-tenant"] = "b" };

        var act = () => _host.Subscriptions.CreateAsync(null, Valid() with { Headers = headers });

        (await act.Should().ThrowAsync<WebhookValidationException>()).Which.Errors["headers"].Should().Contain(m => m.Contains("more than once"));
    }

    public static TheoryData<WebhookAuth, string> BadAuth => new()
    {
        { WebhookAuth.Bearer("tok\r\nX-Injected: 1"), "auth.token" },
        { WebhookAuth.Bearer("tok\u00e9n"), "auth.token" },
        { WebhookAuth.Basic("user\r\n", "pw"), "auth.username" },
        { WebhookAuth.Basic("us:er", "pw"), "auth.username" },
        { WebhookAuth.Basic("user", "p\nw"), "auth.password" },
        { WebhookAuth.ApiKey("X-Api-Key", "key\r\nHost: evil"), "auth.key" },
        { WebhookAuth.ApiKey("X-Api-Key\r\nX-Injected", "key"), "auth.headerName" },
        { WebhookAuth.ApiKey("Host", "evil.example"), "auth.headerName" },
        { WebhookAuth.ApiKey("webhook-signature", "v1,forged"), "auth.headerName" },
        { WebhookAuth.ApiKey("Transfer-Encoding", "chunked"), "auth.headerName" },
        { WebhookAuth.ApiKey("Proxy-Authorization", "x"), "auth.headerName" },
        { WebhookAuth.Bearer(new string('a', 256)), "auth.token" },
    };

    [Theory]
    [MemberData(nameof(BadAuth))]
    public async Task Create_BadAuth_IsRejectedOnItsField(WebhookAuth auth, string field)
    {
        var act = () => _host.Subscriptions.CreateAsync(null, Valid() with { Auth = auth });

        (await act.Should().ThrowAsync<WebhookValidationException>()).Which.Errors.Should().ContainKey(field);
    }

    [Fact]
    public async Task Create_OrdinaryHeaders_AreAccepted()
    {
        var headers = new Dictionary<string, string>
        {
            ["X-Tenant"] = "acme corp",
            ["X-Trace"] = "a\tb",
            ["Accept-Language"] = "en",
            ["X-Empty"] = "",
        };

        var created = await _host.Subscriptions.CreateAsync(null, Valid() with { Headers = headers });

        created.Subscription.Headers.Should().HaveCount(4);
    }

    [Fact]
    public async Task Deliver_HeaderWithLineBreakThatBypassedValidation_NeverReachesTheWire()
    {
        // A row edited in the database, or a custom store that skipped the manager. HttpClient would write the
        // CR/LF as it is (a second header line), so the sender refuses it.
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        var id = await SsrfDeliveryTests.StoreDirectly(host, receiver.Url(), new Dictionary<string, string> { ["X-Tenant"] = "acme\r\nX-Injected: yes" });

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var attempts = await SsrfDeliveryTests.WaitForFailedAttempts(host, id);
        attempts.Should().OnlyContain(a => a.ErrorKind == WebhookErrorKind.Blocked && a.StatusCode == null);
        attempts[0].Error.Should().Contain("X-Tenant").And.Contain("line breaks").And.NotContain("acme");
        receiver.Requests.Should().BeEmpty();
    }

    [Fact]
    public async Task Deliver_BearerTokenWithLineBreakThatBypassedValidation_NeverReachesTheWire()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        var id = await SsrfDeliveryTests.StoreDirectly(host, receiver.Url());
        var store = host.Services.GetRequiredService<IWebhookSubscriptionStore>();
        var stored = (await store.GetAsync(id, CancellationToken.None))!;
        await store.UpdateAsync(stored with { Auth = WebhookAuth.Bearer("tok-secret\r\nX-Injected: yes") }, CancellationToken.None);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var attempts = await SsrfDeliveryTests.WaitForFailedAttempts(host, id);
        attempts.Should().OnlyContain(a => a.ErrorKind == WebhookErrorKind.Blocked);
        attempts[0].Error.Should().Contain("auth settings").And.NotContain("tok-secret");
        receiver.Requests.Should().BeEmpty();
    }

    [Theory]
    [InlineData("X-Tenant", "caf\u00e9", "non-ASCII")]
    [InlineData("Host", "internal.example", "cannot be overridden")]
    [InlineData("Transfer-Encoding", "chunked", "cannot be overridden")]
    [InlineData("webhook-signature", "v1,forged", "cannot be overridden")]
    [InlineData("Bad Name", "x", "not a valid HTTP token")]
    public async Task Deliver_HeaderThatBypassedValidation_IsRefusedWithClearError(string name, string value, string message)
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        var id = await SsrfDeliveryTests.StoreDirectly(host, receiver.Url(), new Dictionary<string, string> { [name] = value });

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var attempts = await SsrfDeliveryTests.WaitForFailedAttempts(host, id);
        attempts.Should().OnlyContain(a => a.ErrorKind == WebhookErrorKind.Blocked);
        attempts[0].Error.Should().Contain(message);
        receiver.Requests.Should().BeEmpty();
    }

    private static WebhookSubscriptionDefinition Valid() => new() { Name = "hook", Url = "https://public.example/hooks", Events = ["order.created"] };
}
