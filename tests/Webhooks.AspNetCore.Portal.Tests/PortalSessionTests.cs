using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.AspNetCore.Portal.Links;
using Webhooks.AspNetCore.Portal.Tests.Infrastructure;
using Webhooks.Core.Subscriptions;

namespace Webhooks.AspNetCore.Portal.Tests;

/// <summary>
/// Access-link sessions at the HTTP level: the cookie's attributes, the owner it acts for, where it
/// is accepted, anti-forgery, read-only, expiry and revocation.
/// </summary>
public sealed class PortalSessionTests : IClassFixture<PortalSessionTests.Host>, IDisposable
{
    private readonly PortalHost _host;
    private readonly PortalClient _client;

    public PortalSessionTests(Host host)
    {
        _host = host.Portal;
        _client = new PortalClient(_host);
    }

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task OpeningALink_SetsAnHttpOnlySecureStrictCookie_OnTheWebhooksPathOnly_ExpiringWithTheLink()
    {
        var link = await _host.CreateLinkAsync(Owner(), lifetime: TimeSpan.FromMinutes(30));
        var response = await _client.OpenAsync(link.Url.ToString());

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.CacheControl!.NoStore.Should().BeTrue();
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(".Webhooks.Portal=", StringComparison.Ordinal));
        cookie.Should().Contain("httponly").And.Contain("secure").And.Contain("samesite=strict").And.Contain("path=/webhooks;");
        var expires = DateTimeOffset.Parse(cookie.Split("expires=")[1].Split(';')[0], System.Globalization.CultureInfo.InvariantCulture);
        expires.Should().BeCloseTo(link.ExpiresAt, TimeSpan.FromSeconds(1));
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("location").GetString().Should().Be("/webhooks/portal/");
    }

    [Fact]
    public async Task Session_ActsForTheLinksOwnerOnly_PastTheAppsRolePolicy()
    {
        var owner = Owner();
        var mine = await CreateAsync(owner, "mine");
        var theirs = await CreateAsync(Owner(), "theirs");
        (await _client.OpenAsync(await LinkAsync(owner))).EnsureSuccessStatusCode();

        // The app's policy on MapWebhooks() demands a role the link's session does not have: the link is the grant.
        var list = await _client.Http.GetFromJsonAsync<JsonElement>("/webhooks/");
        list.GetProperty("items").EnumerateArray().Select(s => s.GetProperty("id").GetString()).Should().Equal(mine);
        (await _client.Http.GetAsync($"/webhooks/{theirs}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await _client.Http.GetAsync($"/webhooks/{mine}")).StatusCode.Should().Be(HttpStatusCode.OK);

        var session = await _client.SessionAsync();
        session.GetProperty("owner").GetString().Should().Be(owner);
        session.GetProperty("kind").GetString().Should().Be("link");
        session.GetProperty("readOnly").GetBoolean().Should().BeFalse();
        session.GetProperty("apiBase").GetString().Should().Be("/webhooks/");
        session.GetProperty("features").GetProperty("log").GetBoolean().Should().BeTrue();
    }

    [Fact]
    public async Task Session_IsNotAcceptedOnTheAppsOtherEndpoints()
    {
        (await _client.OpenAsync(await LinkAsync(Owner()))).EnsureSuccessStatusCode();
        (await _client.Http.GetAsync("/webhooks/")).StatusCode.Should().Be(HttpStatusCode.OK);

        // The cookie's path keeps the browser from sending it there; were it sent, it still would not sign anyone in.
        var request = new HttpRequestMessage(HttpMethod.Get, "/app/whoami");
        request.Headers.Add("Cookie", _client.CookieHeader);
        (await _client.Http.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Changes_WithoutTheAntiforgeryToken_AreRefused()
    {
        var owner = Owner();
        (await _client.OpenAsync(await LinkAsync(owner))).EnsureSuccessStatusCode();
        var body = new { name = "csrf", url = "http://127.0.0.1:9/hook", events = new[] { "order.created" } };

        var refused = await _client.SendAsync(HttpMethod.Post, "/webhooks/", body, antiforgery: false);
        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await PortalClient.CodeAsync(refused)).Should().Be("antiforgery");
        (await _host.Subscriptions.ListAsync(owner)).Items.Should().BeEmpty();

        await _client.SessionAsync();
        var forged = new HttpRequestMessage(HttpMethod.Post, "/webhooks/") { Content = JsonContent.Create(body) };
        forged.Headers.Add(_client.AntiforgeryHeader!, "not-the-token");
        (await _client.Http.SendAsync(forged)).StatusCode.Should().Be(HttpStatusCode.BadRequest);

        (await _client.SendAsync(HttpMethod.Post, "/webhooks/", body)).StatusCode.Should().Be(HttpStatusCode.Created);
    }

    [Fact]
    public async Task ReadOnlySession_RefusesEveryChange_ButReadsAndEnds()
    {
        var owner = Owner();
        var id = await CreateAsync(owner, "watched");
        (await _client.OpenAsync(await LinkAsync(owner, readOnly: true))).EnsureSuccessStatusCode();
        var session = await _client.SessionAsync();
        session.GetProperty("readOnly").GetBoolean().Should().BeTrue();

        (await _client.Http.GetAsync($"/webhooks/{id}")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await _client.Http.GetAsync("/webhooks/deliveries")).StatusCode.Should().Be(HttpStatusCode.OK);
        foreach (var (method, path, body) in new (HttpMethod, string, object?)[]
        {
            (HttpMethod.Post, "/webhooks/", new { name = "x", url = "http://127.0.0.1:9/", events = new[] { "order.created" } }),
            (HttpMethod.Patch, $"/webhooks/{id}", new { name = "renamed" }),
            (HttpMethod.Delete, $"/webhooks/{id}", null),
            (HttpMethod.Post, $"/webhooks/{id}/disable", null),
            (HttpMethod.Post, $"/webhooks/{id}/rotate-secret", null),
            (HttpMethod.Post, $"/webhooks/{id}/test", null),
            (HttpMethod.Post, "/webhooks/test", new { url = "http://127.0.0.1:9/" }),
        })
        {
            var response = await _client.SendAsync(method, path, body);
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden, $"{method} {path} changes something");
            (await PortalClient.CodeAsync(response)).Should().Be("read-only");
        }

        var after = await _host.Subscriptions.GetAsync(owner, id);
        after!.Name.Should().Be("watched");
        after.Active.Should().BeTrue();

        (await _client.SendAsync(HttpMethod.Post, "/webhooks/portal/session/end")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await _client.Http.GetAsync("/webhooks/")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Revoking_EndsOpenSessions_AndRefusesTheLink_ButNotLinksMadeAfterwards()
    {
        var owner = Owner();
        var link = await LinkAsync(owner);
        (await _client.OpenAsync(link)).EnsureSuccessStatusCode();
        (await _client.Http.GetAsync("/webhooks/")).StatusCode.Should().Be(HttpStatusCode.OK);

        await _host.Links.RevokeAsync(owner);

        var ended = await _client.Http.GetAsync("/webhooks/");
        ended.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await PortalClient.CodeAsync(ended)).Should().Be("session-ended");
        ended.Headers.GetValues("Set-Cookie").Should().Contain(c => c.StartsWith(".Webhooks.Portal=;", StringComparison.Ordinal), "the dead cookie is removed");

        var replay = await _client.OpenAsync(link);
        replay.StatusCode.Should().Be(HttpStatusCode.Gone);
        (await PortalClient.CodeAsync(replay)).Should().Be("link-revoked");

        using var fresh = new PortalClient(_host);
        (await fresh.OpenAsync(await LinkAsync(owner))).StatusCode.Should().Be(HttpStatusCode.OK);
        (await fresh.Http.GetAsync("/webhooks/")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ExpiredSessionCookie_IsRefused_AndSaysWhy()
    {
        var tokens = _host.Services.GetRequiredService<WebhookPortalTokens>();
        var now = DateTimeOffset.UtcNow;
        var cookie = tokens.ProtectSession(new WebhookPortalGrant(Owner(), false, now.AddHours(-2), now.AddSeconds(-1), "t"));
        var request = new HttpRequestMessage(HttpMethod.Get, "/webhooks/");
        request.Headers.Add("Cookie", ".Webhooks.Portal=" + cookie);

        var response = await _client.Http.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString().Should().Contain("expired");
    }

    [Theory]
    [InlineData("altered")]
    [InlineData("session-cookie")]
    [InlineData("expired")]
    [InlineData("garbage")]
    [InlineData("empty")]
    public async Task OpeningABadLink_IsRefusedWithAReason_AndStartsNoSession(string kind)
    {
        var owner = Owner();
        var tokens = _host.Services.GetRequiredService<WebhookPortalTokens>();
        var now = DateTimeOffset.UtcNow;
        var valid = PortalClient.TokenOf(await LinkAsync(owner));
        var token = kind switch
        {
            "altered" => valid[..10] + (valid[10] == 'A' ? 'B' : 'A') + valid[11..],
            "session-cookie" => tokens.ProtectSession(new WebhookPortalGrant(owner, false, now, now.AddHours(1), "t")),   // another purpose
            "expired" => tokens.ProtectLink(new WebhookPortalGrant(owner, false, now.AddHours(-2), now.AddMinutes(-1), "t")),
            "garbage" => "<script>alert(1)</script>",
            _ => "",
        };

        var response = await _client.Http.PostAsJsonAsync("/webhooks/portal/access", new { token });

        response.StatusCode.Should().Be(kind == "expired" ? HttpStatusCode.Gone : HttpStatusCode.BadRequest);
        (await PortalClient.CodeAsync(response)).Should().Be(kind == "expired" ? "link-expired" : "link-invalid");
        response.Headers.Contains("Set-Cookie").Should().BeFalse();
        (await _client.Http.GetAsync("/webhooks/")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task OpeningALink_WithAFormPost_IsRefused()
    {
        // A cross-site form can send form data, not JSON: it cannot start a session in someone's browser.
        var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = PortalClient.TokenOf(await LinkAsync(Owner())) });
        var response = await _client.Http.PostAsync("/webhooks/portal/access", form);
        response.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
        response.Headers.Contains("Set-Cookie").Should().BeFalse();
    }

    [Fact]
    public async Task AppSignIn_DescribesTheAppUsersOwner()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/webhooks/portal/session");
        request.Headers.Add("X-Test-User", "dana");
        request.Headers.Add("X-Test-Roles", "Manage");
        var json = await (await _client.Http.SendAsync(request)).Content.ReadFromJsonAsync<JsonElement>();
        json.GetProperty("owner").GetString().Should().Be("dana");
        json.GetProperty("kind").GetString().Should().Be("app");
        json.GetProperty("expiresAt").ValueKind.Should().Be(JsonValueKind.Null);
    }

    private static string Owner() => "o-" + Guid.NewGuid().ToString("N")[..10];

    private Task<string> LinkAsync(string owner, bool readOnly = false) => _host.LinkAsync(owner, readOnly);

    private async Task<string> CreateAsync(string owner, string name) =>
        (await _host.Subscriptions.CreateAsync(owner, new WebhookSubscriptionDefinition { Name = name, Url = "http://127.0.0.1:9/hook", Events = ["order.created"] })).Subscription.Id;

    public sealed class Host : IAsyncLifetime
    {
        public PortalHost Portal { get; private set; } = null!;

        public async Task InitializeAsync() => Portal = await PortalHost.StartAsync();

        public async Task DisposeAsync() => await Portal.DisposeAsync();
    }
}
