using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.AspNetCore.Owners;
using Webhooks.AspNetCore.Tests.Infrastructure;

namespace Webhooks.AspNetCore.Tests.Endpoints;

public sealed class AuthorizationTests
{
    public static TheoryData<string, string> AllRoutes => new()
    {
        { "GET", "/webhooks/event-types" },
        { "GET", "/webhooks" },
        { "POST", "/webhooks" },
        { "POST", "/webhooks/test" },
        { "GET", "/webhooks/sub_01M890Z336Q15K300VKFWQQ6XE" },
        { "PUT", "/webhooks/sub_01M890Z336Q15K300VKFWQQ6XE" },
        { "PATCH", "/webhooks/sub_01M890Z336Q15K300VKFWQQ6XE" },
        { "DELETE", "/webhooks/sub_01M890Z336Q15K300VKFWQQ6XE" },
        { "POST", "/webhooks/sub_01M890Z336Q15K300VKFWQQ6XE/enable" },
        { "POST", "/webhooks/sub_01M890Z336Q15K300VKFWQQ6XE/disable" },
        { "POST", "/webhooks/sub_01M890Z336Q15K300VKFWQQ6XE/rotate-secret" },
        { "POST", "/webhooks/sub_01M890Z336Q15K300VKFWQQ6XE/test" },
        { "GET", "/webhooks/sub_01M890Z336Q15K300VKFWQQ6XE/deliveries" },
        { "GET", "/webhooks/sub_01M890Z336Q15K300VKFWQQ6XE/deliveries/dlv_01M890Z336Q15K300VKFWQQ6XE" },
        { "POST", "/webhooks/sub_01M890Z336Q15K300VKFWQQ6XE/deliveries/dlv_01M890Z336Q15K300VKFWQQ6XE/redeliver" },
        { "POST", "/webhooks/sub_01M890Z336Q15K300VKFWQQ6XE/recover" },
        { "GET", "/webhooks/sub_01M890Z336Q15K300VKFWQQ6XE/stats" },
    };

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string method, string url) =>
        client.SendJsonAsync(new HttpMethod(method), url, method is "POST" or "PUT" or "PATCH" ? "{}" : null);

    [Fact]
    public async Task AnyRoute_Unauthenticated_Returns401()
    {
        await using var host = await ApiHost.StartAsync();
        using var anonymous = host.Client(null);

        foreach (var (method, url) in AllRoutes.Select(r => ((string)r[0], (string)r[1])))
        {
            var response = await SendAsync(anonymous, method, url);
            response.StatusCode.Should().Be(HttpStatusCode.Unauthorized, $"{method} {url} requires a caller");
        }
    }

    [Fact]
    public async Task AnyRoute_ChainedPolicyNotMet_Returns403_MetPasses()
    {
        await using var host = await ApiHost.StartAsync(map: app => app.MapWebhooks().RequireAuthorization("Manage"));
        using var viewer = host.Client("viewer");
        using var manager = host.Client("manager", "Manage");

        foreach (var (method, url) in AllRoutes.Select(r => ((string)r[0], (string)r[1])))
        {
            var response = await SendAsync(viewer, method, url);
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden, $"{method} {url} requires the Manage role");
        }

        (await manager.GetAsync("/webhooks")).StatusCode.Should().Be(HttpStatusCode.OK);
        await manager.CreateSubscriptionAsync("ok", "https://example.com/ok");
    }

    [Fact]
    public async Task OwnerRoute_CallerWithoutIdClaim_Returns403Problem_CatalogStillServed()
    {
        await using var host = await ApiHost.StartAsync();
        using var noId = host.Client("-");

        var problem = await (await noId.GetAsync("/webhooks")).ProblemAsync(HttpStatusCode.Forbidden);
        problem["detail"]!.GetValue<string>().Should().Contain("no owner id");
        await (await noId.PostJsonAsync("/webhooks/test", new { url = "https://example.com" })).ProblemAsync(HttpStatusCode.Forbidden);
        (await noId.GetAsync("/webhooks/event-types")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task CustomOwnerResolver_ResolvesTenant_UsersOfOneTenantShareSubscriptions()
    {
        await using var host = await ApiHost.StartAsync(webhooks: w => w.AddOwnerResolver<TenantResolver>());
        using var ann = host.Client("ann");
        ann.DefaultRequestHeaders.Add(TestAuthHandler.TenantHeader, "acme");
        using var ben = host.Client("ben");
        ben.DefaultRequestHeaders.Add(TestAuthHandler.TenantHeader, "acme");
        using var cid = host.Client("cid");
        cid.DefaultRequestHeaders.Add(TestAuthHandler.TenantHeader, "globex");
        using var noTenant = host.Client("dan");

        var id = (string)(await ann.CreateSubscriptionAsync("tenant-hook", "https://example.com/t"))["id"]!;

        (await ben.GetAsync($"/webhooks/{id}")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await cid.GetAsync($"/webhooks/{id}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await noTenant.GetAsync("/webhooks")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await host.Manager.GetAsync("acme", id)).Should().NotBeNull("the subscription is owned by the tenant");
    }

    [Fact]
    public async Task AllowAnonymous_ExplicitOptOut_ServesWithResolverOwner()
    {
        await using var host = await ApiHost.StartAsync(
            webhooks: w => w.Services.AddSingleton<IWebhookOwnerResolver>(new HeaderResolver()),
            map: app => app.MapWebhooks().AllowAnonymous());
        using var anonymous = host.Client(null);
        anonymous.DefaultRequestHeaders.Add("X-Owner", "kiosk");

        var created = await anonymous.CreateSubscriptionAsync("anon", "https://example.com/anon");

        (await host.Manager.GetAsync("kiosk", (string)created["id"]!)).Should().NotBeNull();
    }

    [Fact]
    public async Task MapWebhooks_InsideAppGroupWithOwnPrefix_ServesThereWithLocation()
    {
        await using var host = await ApiHost.StartAsync(map: app => app.MapGroup("/api/v2").MapWebhooks("/hooks"));
        using var client = host.Client("grouped");

        var response = await client.PostJsonAsync("/api/v2/hooks", new { name = "g", url = "https://example.com/g", events = new[] { "order.*" } });

        response.StatusCode.Should().Be(HttpStatusCode.Created);
        (await client.GetAsync(response.Headers.Location)).StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.Location!.ToString().Should().StartWith("/api/v2/hooks/sub_");
        (await client.GetAsync("/webhooks")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MapWebhooks_WithoutAddEndpoints_ThrowsWithWhatToDo(bool addWebhooks)
    {
        var builder = WebApplication.CreateSlimBuilder();
        if (addWebhooks)
        {
            builder.Services.AddWebhooks().AddResource("order");
        }

        await using var app = builder.Build();

        var act = () => app.MapWebhooks();

        act.Should().Throw<InvalidOperationException>().WithMessage("*AddWebhooks().AddEndpoints()*");
    }

    private sealed class TenantResolver : IWebhookOwnerResolver
    {
        public ValueTask<string?> ResolveOwnerAsync(HttpContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult(context.User.FindFirstValue("tenant"));
    }

    private sealed class HeaderResolver : IWebhookOwnerResolver
    {
        public ValueTask<string?> ResolveOwnerAsync(HttpContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult<string?>(context.Request.Headers["X-Owner"].ToString() is { Length: > 0 } owner ? owner : null);
    }
}
