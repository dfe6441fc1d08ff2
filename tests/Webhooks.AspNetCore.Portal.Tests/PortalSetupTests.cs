using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Webhooks.AspNetCore.Owners;
using Webhooks.AspNetCore.Portal.Links;
using Webhooks.AspNetCore.Portal.Tests.Infrastructure;
using Webhooks.Core.Subscriptions;

namespace Webhooks.AspNetCore.Portal.Tests;

/// <summary>Registration, options, access links as objects, the served files and their headers, and what follows the store's capabilities.</summary>
public sealed class PortalSetupTests
{
    [Fact]
    public async Task CreateAsync_DefaultsToOneHour_AcceptsSevenDays_RefusesMore()
    {
        await using var host = await PortalHost.StartAsync();
        var (links, time) = Links(host, new Uri("https://app.example.com/base/"));

        var link = await links.CreateAsync("alice");
        link.ExpiresAt.Should().Be(time.GetUtcNow() + TimeSpan.FromHours(1));
        link.Url.GetLeftPart(UriPartial.Path).Should().Be("https://app.example.com/base/webhooks/portal/access");
        link.Url.Fragment.Should().StartWith("#token=");
        link.ReadOnly.Should().BeFalse();
        link.ToString().Should().Contain("alice").And.NotContain(link.Url.Fragment[7..], "a logged link leaks no token");

        (await links.CreateAsync("alice", TimeSpan.FromDays(7), readOnly: true)).ReadOnly.Should().BeTrue();
        await FluentActions.Awaiting(() => links.CreateAsync("alice", TimeSpan.FromDays(7) + TimeSpan.FromSeconds(1)).AsTask())
            .Should().ThrowAsync<ArgumentOutOfRangeException>().WithMessage("*at most 7.00:00:00*");
        await FluentActions.Awaiting(() => links.CreateAsync("alice", TimeSpan.Zero).AsTask()).Should().ThrowAsync<ArgumentOutOfRangeException>();
        await FluentActions.Awaiting(() => links.CreateAsync(" ").AsTask()).Should().ThrowAsync<ArgumentException>();
    }

    [Fact]
    public async Task Token_ExpiresOnTheClock_AndRevocationCoversOnlyEarlierLinks()
    {
        await using var host = await PortalHost.StartAsync();
        var (links, time) = Links(host, new Uri("https://app.example.com"));
        var first = Token(await links.CreateAsync("bob", TimeSpan.FromMinutes(10)));

        (await links.ValidateAsync(first, default)).Status.Should().Be(WebhookPortalGrantStatus.Valid);
        time.Advance(TimeSpan.FromMinutes(10));
        (await links.ValidateAsync(first, default)).Status.Should().Be(WebhookPortalGrantStatus.Expired);

        var second = Token(await links.CreateAsync("bob"));
        var carols = Token(await links.CreateAsync("carol"));
        time.Advance(TimeSpan.FromSeconds(1));
        await links.RevokeAsync("bob");
        time.Advance(TimeSpan.FromSeconds(1));
        var third = Token(await links.CreateAsync("bob"));
        (await links.ValidateAsync(second, default)).Status.Should().Be(WebhookPortalGrantStatus.Revoked);
        (await links.ValidateAsync(third, default)).Status.Should().Be(WebhookPortalGrantStatus.Valid);
        (await links.ValidateAsync(carols, default)).Status.Should().Be(WebhookPortalGrantStatus.Valid, "revocation is per owner");
    }

    [Fact]
    public async Task Token_FromAnotherKeyRing_IsNotValid()
    {
        await using var host = await PortalHost.StartAsync();
        var (links, _) = Links(host, new Uri("https://app.example.com"));
        var other = new WebhookPortalTokens(new EphemeralDataProtectionProvider());
        var now = DateTimeOffset.UtcNow;
        var foreign = other.ProtectLink(new WebhookPortalGrant("alice", false, now, now.AddHours(1), "x"));
        (await links.ValidateAsync(foreign, default)).Status.Should().Be(WebhookPortalGrantStatus.Invalid);
    }

    [Fact]
    public async Task CreateAsync_OutsideARequest_WithoutPublicBaseUrl_SaysWhatToSet()
    {
        await using var host = await PortalHost.StartAsync();
        await FluentActions.Awaiting(() => host.Links.CreateAsync("alice").AsTask())
            .Should().ThrowAsync<InvalidOperationException>().WithMessage("*PublicBaseUrl*");
    }

    [Fact]
    public async Task BadOptions_StopTheHost_NamingTheSetting()
    {
        var start = () => PortalHost.StartAsync(services: s => s.Configure<WebhookPortalOptions>(o =>
        {
            o.MaxLinkLifetime = TimeSpan.FromDays(8);
            o.CookieName = "bad name;";
        }));
        var error = await start.Should().ThrowAsync<OptionsValidationException>();
        error.Which.Message.Should().Contain("MaxLinkLifetime").And.Contain("CookieName");
    }

    [Fact]
    public void MapWebhooksPortal_WithoutAddPortal_SaysWhatToCall()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddAuthorization();
        builder.Services.AddWebhooks().AddEndpoints();
        var app = builder.Build();
        FluentActions.Invoking(() => app.MapWebhooksPortal()).Should().Throw<InvalidOperationException>().WithMessage("*AddPortal()*");
    }

    [Fact]
    public void MapWebhooksPortal_WhenAnOwnerResolverReplacedThePortals_SaysToRegisterItFirst()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddAuthorization();
        builder.Services.AddWebhooks().AddPortal().AddOwnerResolver<TenantResolver>();
        var app = builder.Build();
        FluentActions.Invoking(() => app.MapWebhooksPortal()).Should().Throw<InvalidOperationException>().WithMessage("*AddOwnerResolver<T>() before AddPortal()*");
    }

    [Fact]
    public void AddPortal_WrapsTheAppsOwnResolverAndResultHandler_AndIsIdempotent()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, CustomResultHandler>();
        services.AddAuthorization();
        var builder = services.AddWebhooks().AddOwnerResolver<TenantResolver>().AddPortal().AddPortal();
        using var provider = services.BuildServiceProvider();

        var handler = provider.GetRequiredService<IAuthorizationMiddlewareResultHandler>();
        handler.Should().BeOfType<Sessions.WebhookPortalAuthorizationResultHandler>().Which.Inner.Should().BeOfType<CustomResultHandler>();
        using var scope = provider.CreateScope();
        scope.ServiceProvider.GetRequiredService<IWebhookOwnerResolver>().Should().BeOfType<Sessions.WebhookPortalOwnerResolver>()
            .Which.Inner.Should().BeOfType<TenantResolver>();
        services.Count(d => d.ServiceType == typeof(IWebhookOwnerResolver)).Should().Be(1);
        builder.Should().NotBeNull();
    }

    [Fact]
    public async Task CustomOwnerResolver_ServesAppUsers_WhileALinkActsForItsOwner()
    {
        await using var host = await PortalHost.StartAsync(configure: w => w.AddOwnerResolver<TenantResolver>());
        await host.Subscriptions.CreateAsync("tenant-7", new WebhookSubscriptionDefinition { Name = "tenant hook", Url = "http://127.0.0.1:9/h", Events = ["order.created"] });
        await host.Subscriptions.CreateAsync("linked", new WebhookSubscriptionDefinition { Name = "linked hook", Url = "http://127.0.0.1:9/h", Events = ["order.created"] });

        using var app = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        app.DefaultRequestHeaders.Add("X-Test-User", "erin");
        app.DefaultRequestHeaders.Add("X-Test-Roles", "Manage,tenant-7");
        (await app.GetFromJsonAsync<JsonElement>("/webhooks/")).GetProperty("items")[0].GetProperty("name").GetString().Should().Be("tenant hook");

        using var link = new PortalClient(host);
        (await link.OpenAsync(await host.LinkAsync("linked"))).EnsureSuccessStatusCode();
        (await link.Http.GetFromJsonAsync<JsonElement>("/webhooks/")).GetProperty("items")[0].GetProperty("name").GetString().Should().Be("linked hook");
    }

    [Fact]
    public async Task QueueOnlyStore_TheSessionSaysSo_SoThePageHidesLogChartAndRedelivery()
    {
        await using var host = await PortalHost.StartAsync(services: s => s.Replace(ServiceDescriptor.Singleton<IWebhookDeliveryStore, QueueOnlyStore>()));
        using var client = new PortalClient(host);
        (await client.OpenAsync(await host.LinkAsync("q"))).EnsureSuccessStatusCode();
        var features = (await client.SessionAsync()).GetProperty("features");
        features.GetProperty("log").GetBoolean().Should().BeFalse();
        features.GetProperty("redelivery").GetBoolean().Should().BeFalse();
        features.GetProperty("statistics").GetBoolean().Should().BeFalse();
    }

    [Fact]
    public async Task PortalWithoutMapWebhooks_SaysSoInsteadOfFailingSilently()
    {
        await using var host = await PortalHost.StartAsync(mapManagement: false);
        using var client = new PortalClient(host);
        (await client.OpenAsync(await host.LinkAsync("lonely"))).EnsureSuccessStatusCode();
        var response = await client.Http.GetAsync("/webhooks/portal/session");
        response.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString().Should().Contain("MapWebhooks()");
    }

    [Fact]
    public async Task Pages_CarryTheSecurityHeaders_AndFilesAreRevalidated()
    {
        await using var host = await PortalHost.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };

        foreach (var path in new[] { "/webhooks/portal/access" })
        {
            var page = await http.GetAsync(path);
            page.StatusCode.Should().Be(HttpStatusCode.OK);
            page.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
            var csp = page.Headers.GetValues("Content-Security-Policy").Single();
            csp.Should().Contain("default-src 'none'").And.Contain("script-src 'self'").And.Contain("style-src 'self'")
                .And.Contain("frame-ancestors 'none'").And.Contain("require-trusted-types-for 'script'").And.NotContain("unsafe");
            page.Headers.GetValues("Referrer-Policy").Single().Should().Be("no-referrer");
            page.Headers.GetValues("X-Frame-Options").Single().Should().Be("DENY");
            page.Headers.GetValues("X-Content-Type-Options").Single().Should().Be("nosniff");
            page.Headers.CacheControl!.NoStore.Should().BeTrue();
            var html = await page.Content.ReadAsStringAsync();
            html.Should().NotContain("{{").And.NotContain("<style").And.NotContain(" style=").And.NotContain("onclick");
            html.Should().Contain("<script type=\"module\" src=\"/webhooks/portal/assets/js/access.js\"></script>");
        }

        var script = await http.GetAsync("/webhooks/portal/assets/js/app.js");
        script.StatusCode.Should().Be(HttpStatusCode.OK);
        script.Content.Headers.ContentType!.ToString().Should().StartWith("text/javascript");
        script.Headers.GetValues("X-Content-Type-Options").Single().Should().Be("nosniff");
        var etag = script.Headers.ETag!;
        var again = new HttpRequestMessage(HttpMethod.Get, "/webhooks/portal/assets/js/app.js");
        again.Headers.IfNoneMatch.Add(etag);
        (await http.SendAsync(again)).StatusCode.Should().Be(HttpStatusCode.NotModified);

        (await http.GetAsync("/webhooks/portal/assets/index.html")).StatusCode.Should().Be(HttpStatusCode.NotFound, "templates are served filled in only");
        (await http.GetAsync("/webhooks/portal/assets/../../webhooks")).StatusCode.Should().NotBe(HttpStatusCode.OK);
        (await http.GetAsync("/webhooks/portal/assets/nope.js")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task EveryEmbeddedScript_BuildsTheDomWithoutMarkupStrings()
    {
        // The rule the CSP's Trusted Types also enforce at run time, checked in the source: no innerHTML,
        // outerHTML, insertAdjacentHTML, document.write, eval or new Function anywhere.
        var assembly = typeof(WebhookPortalOptions).Assembly;
        var scripts = assembly.GetManifestResourceNames().Where(n => n.EndsWith(".js", StringComparison.Ordinal)).ToList();
        scripts.Should().HaveCountGreaterThan(5);
        foreach (var name in scripts)
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            var source = await reader.ReadToEndAsync();
            source.Should().NotContainAny(["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"], name);
        }
    }

    private static (WebhookPortalLinks Links, FakeTimeProvider Time) Links(PortalHost host, Uri publicBase)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero));
        var links = new WebhookPortalLinks(
            host.Services.GetRequiredService<WebhookPortalTokens>(),
            new WebhookPortalRevocations(new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions()))),
            Options.Create(new WebhookPortalOptions { PublicBaseUrl = publicBase }),
            time,
            host.Services.GetRequiredService<LinkGenerator>(),
            new HttpContextAccessor(),
            NullLogger<WebhookPortalLinks>.Instance);
        return (links, time);
    }

    private static string Token(WebhookPortalLink link) => link.Url.Fragment["#token=".Length..];

    /// <summary>An app's resolver: the owner is the caller's tenant role (a role starting with "tenant-").</summary>
    private sealed class TenantResolver : IWebhookOwnerResolver
    {
        public ValueTask<string?> ResolveOwnerAsync(HttpContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult(context.User.FindAll(ClaimTypes.Role).Select(c => c.Value).FirstOrDefault(r => r.StartsWith("tenant-", StringComparison.Ordinal)));
    }

    private sealed class CustomResultHandler : IAuthorizationMiddlewareResultHandler
    {
        private readonly AuthorizationMiddlewareResultHandler _default = new();

        public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult) =>
            _default.HandleAsync(next, context, policy, authorizeResult);
    }

    /// <summary>A store with the queue only: no log, no administration, no statistics.</summary>
    internal sealed class QueueOnlyStore : IWebhookDeliveryStore
    {
        public Task<WebhookEnqueueResult> EnqueueAsync(WebhookMessage message, IReadOnlyList<WebhookDelivery> deliveries, WebhookEnqueueContext? context, CancellationToken cancellationToken) =>
            Task.FromResult(new WebhookEnqueueResult(message.Id, deliveries.Count, false));

        public Task<IReadOnlyList<WebhookLease>> LeaseAsync(int maxCount, TimeSpan leaseDuration, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<WebhookLease>>([]);

        public Task<bool> CompleteAttemptAsync(WebhookLease lease, WebhookAttempt? attempt, WebhookDeliveryTransition transition, CancellationToken cancellationToken) =>
            Task.FromResult(false);

        public Task<bool> ReleaseAsync(WebhookLease lease, TimeSpan delay, CancellationToken cancellationToken) => Task.FromResult(false);
    }
}
