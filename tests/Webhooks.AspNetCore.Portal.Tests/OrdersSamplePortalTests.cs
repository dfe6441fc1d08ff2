using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Webhooks.AspNetCore.Portal.Tests;

/// <summary>The Orders sample maps the portal, and in Development prints access links at /dev/portal-link.</summary>
public sealed class OrdersSamplePortalTests
{
    [Fact]
    public async Task Development_DevPortalLink_OpensThePortalForThatOwner()
    {
        await using var factory = new Sample("Development");
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        var link = (await client.GetStringAsync("/dev/portal-link?owner=alice&readOnly=true")).Trim();
        link.Should().StartWith("http://localhost/webhooks/portal/access#token=");
        (await client.GetAsync("/dev/portal-link")).StatusCode.Should().Be(HttpStatusCode.BadRequest);

        var opened = await client.PostAsJsonAsync("/webhooks/portal/access", new { token = link[(link.IndexOf("#token=", StringComparison.Ordinal) + 7)..] });
        opened.StatusCode.Should().Be(HttpStatusCode.OK);
        var cookie = opened.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(".Webhooks.Portal=", StringComparison.Ordinal)).Split(';')[0];

        var request = new HttpRequestMessage(HttpMethod.Get, "/webhooks/portal/session");
        request.Headers.Add("Cookie", cookie);
        var session = await (await client.SendAsync(request)).Content.ReadFromJsonAsync<JsonElement>();
        session.GetProperty("owner").GetString().Should().Be("alice");
        session.GetProperty("readOnly").GetBoolean().Should().BeTrue();

        (await client.GetAsync("/webhooks/portal/")).StatusCode.Should().Be(HttpStatusCode.Unauthorized, "without a link or an API key, the portal asks to sign in");
    }

    [Fact]
    public async Task Production_HasThePortal_ButNoDevPortalLink()
    {
        await using var factory = new Sample("Production");
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        (await client.GetAsync("/dev/portal-link?owner=alice")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.GetAsync("/webhooks/portal/access")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    private sealed class Sample(string environment) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder) => builder.UseEnvironment(environment);
    }
}
