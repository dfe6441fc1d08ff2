using System.Net;
using System.Net.Http.Json;
using Webhooks.AspNetCore.Portal.Tests.Infrastructure;
using Webhooks.Core.Subscriptions;

namespace Webhooks.AspNetCore.Portal.Tests;

/// <summary>
/// An app whose own users sign in with a cookie, over real HTTP: a change to the management
/// endpoints or the portal that the cookie alone carries (what a page on another site, or a sibling
/// subdomain, can make the browser send) is refused; the portal's own requests carry the
/// anti-forgery token and pass; API callers with a header credential need no token.
/// </summary>
public sealed class AppCookieAntiforgeryTests : IClassFixture<AppCookieAntiforgeryTests.Host>, IDisposable
{
    private readonly PortalHost _host;
    private readonly PortalClient _client;

    public AppCookieAntiforgeryTests(Host host)
    {
        _host = host.Portal;
        _client = new PortalClient(_host);
    }

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task CookieSignedInChanges_WithoutTheToken_AreRefused_WithIt_Pass()
    {
        var owner = "dave-" + Guid.NewGuid().ToString("N")[..8];
        var id = await CreateAsync(owner, "Dave's hook");
        (await _client.Http.GetAsync($"/app/sign-in?user={owner}&roles=Manage")).EnsureSuccessStatusCode();
        _client.CookieHeader.Should().Contain(".App.SignIn=");

        // Reading with the cookie alone is fine: the portal page does it.
        (await _client.SendAsync(HttpMethod.Get, $"/webhooks/{id}", antiforgery: false)).StatusCode.Should().Be(HttpStatusCode.OK);

        // A forged request: the cookie the browser adds, and nothing the page would add.
        var disable = await _client.SendAsync(HttpMethod.Post, $"/webhooks/{id}/disable", antiforgery: false);
        disable.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await PortalClient.CodeAsync(disable)).Should().Be("antiforgery");
        // A cross-site <form> can only send form content: routing refuses it before anything runs.
        var form = new HttpRequestMessage(HttpMethod.Post, "/webhooks/") { Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = "csrf" }) };
        (await _client.Http.SendAsync(form)).StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
        var bodiless = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/{id}/rotate-secret") { Content = new FormUrlEncodedContent(new Dictionary<string, string>()) };
        (await _client.Http.SendAsync(bodiless)).StatusCode.Should().BeOneOf(HttpStatusCode.BadRequest, HttpStatusCode.UnsupportedMediaType);
        var delete = await _client.SendAsync(HttpMethod.Delete, $"/webhooks/{id}", antiforgery: false);
        delete.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var end = await _client.SendAsync(HttpMethod.Post, "/webhooks/portal/session/end", antiforgery: false);
        end.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await _host.Subscriptions.GetAsync(owner, id))!.Active.Should().BeTrue("no forged change went through");

        // A wrong token is refused too.
        var session = await _client.SessionAsync();
        session.GetProperty("kind").GetString().Should().Be("app");
        var wrong = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/{id}/disable");
        wrong.Headers.Add(_client.AntiforgeryHeader!, "not-the-token");
        (await _client.Http.SendAsync(wrong)).StatusCode.Should().Be(HttpStatusCode.BadRequest);

        // The portal's requests carry the session's token: they pass.
        (await _client.SendAsync(HttpMethod.Post, $"/webhooks/{id}/disable")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await _host.Subscriptions.GetAsync(owner, id))!.Active.Should().BeFalse();
        var created = await _client.SendAsync(HttpMethod.Post, "/webhooks/", new { name = "second", url = "http://127.0.0.1:9/hook", events = new[] { "order.created" } });
        created.StatusCode.Should().Be(HttpStatusCode.Created);
    }

    [Fact]
    public async Task TokenOfAnotherUser_IsRefused()
    {
        var mallory = "mallory-" + Guid.NewGuid().ToString("N")[..8];
        var victim = "victim-" + Guid.NewGuid().ToString("N")[..8];
        var id = await CreateAsync(victim, "Victim's hook");

        // Mallory signs in and reads her own token; the victim's browser carries the victim's cookie.
        using var attacker = new PortalClient(_host);
        (await attacker.Http.GetAsync($"/app/sign-in?user={mallory}&roles=Manage")).EnsureSuccessStatusCode();
        await attacker.SessionAsync();
        (await _client.Http.GetAsync($"/app/sign-in?user={victim}&roles=Manage")).EnsureSuccessStatusCode();

        var forged = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/{id}/disable");
        forged.Headers.Add(attacker.AntiforgeryHeader!, attacker.AntiforgeryToken!);
        (await _client.Http.SendAsync(forged)).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await _host.Subscriptions.GetAsync(victim, id))!.Active.Should().BeTrue();
    }

    [Fact]
    public async Task HeaderCredentialCallers_NeedNoToken()
    {
        var owner = "api-" + Guid.NewGuid().ToString("N")[..8];
        var id = await CreateAsync(owner, "API hook");
        using var http = new HttpClient { BaseAddress = new Uri(_host.BaseUrl) };
        http.DefaultRequestHeaders.Add("X-Test-User", owner);
        http.DefaultRequestHeaders.Add("X-Test-Roles", "Manage");

        (await http.PostAsync($"/webhooks/{id}/disable", null)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await http.PostAsJsonAsync("/webhooks/", new { name = "by api", url = "http://127.0.0.1:9/hook", events = new[] { "order.created" } }))
            .StatusCode.Should().Be(HttpStatusCode.Created);
    }

    private async Task<string> CreateAsync(string owner, string name) =>
        (await _host.Subscriptions.CreateAsync(owner, new WebhookSubscriptionDefinition { Name = name, Url = "http://127.0.0.1:9/hook", Events = ["order.created"] })).Subscription.Id;

    public sealed class Host : IAsyncLifetime
    {
        public PortalHost Portal { get; private set; } = null!;

        public async Task InitializeAsync() => Portal = await PortalHost.StartAsync(cookieSignIn: true);

        public async Task DisposeAsync() => await Portal.DisposeAsync();
    }
}
