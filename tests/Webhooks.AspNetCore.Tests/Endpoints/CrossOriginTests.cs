using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Webhooks.AspNetCore.Tests.Infrastructure;

namespace Webhooks.AspNetCore.Tests.Endpoints;

/// <summary>
/// Cross-origin browser posts sent with ambient credentials alone (the test scheme's header stands in
/// for a cookie): what a browser sends is reproduced header by header over real HTTP.
/// </summary>
public sealed class CrossOriginTests
{
    private static HttpRequestMessage BrowserPost(string url, string? site, string? origin, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        if (site is not null)
        {
            request.Headers.Add("Sec-Fetch-Site", site);
            request.Headers.Add("Sec-Fetch-Mode", "navigate");
        }

        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        return request;
    }

    private static async Task<string> CreateAsync(HttpClient client) =>
        (await client.CreateSubscriptionAsync("target", "https://example.com/hook"))["id"]!.GetValue<string>();

    [Theory]
    [InlineData("cross-site", "https://evil.example")]
    [InlineData("same-site", "https://other.app.example")] // a sibling subdomain
    [InlineData(null, "https://evil.example")] // a browser without Fetch Metadata: Origin against Host
    [InlineData(null, "null")] // a sandboxed frame or a file
    public async Task BodilessPost_FromAnotherOrigin_Is403Problem_AndChangesNothing(string? site, string origin)
    {
        await using var host = await ApiHost.StartAsync();
        using var client = host.Client("alice");
        var id = await CreateAsync(client);

        foreach (var action in new[] { "disable", "rotate-secret", "test", "recover" })
        {
            var problem = await (await client.SendAsync(BrowserPost($"/webhooks/{id}/{action}", site, origin))).ProblemAsync(HttpStatusCode.Forbidden);
            problem["title"]!.GetValue<string>().Should().Be("Cross-origin request refused.");
            problem["detail"]!.GetValue<string>().Should().Contain("TrustedOrigins");
        }

        // With a form or plain-text body: refused too (routing already answers 415 to content it cannot bind).
        var form = BrowserPost($"/webhooks/{id}/disable", site, origin, new FormUrlEncodedContent(new Dictionary<string, string> { ["x"] = "1" }));
        (await client.SendAsync(form)).StatusCode.Should().BeOneOf(HttpStatusCode.Forbidden, HttpStatusCode.UnsupportedMediaType);
        var text = BrowserPost("/webhooks/", site, origin, new StringContent("{\"name\":\"csrf\",\"url\":\"https://example.com/x\",\"events\":[\"item-add\"]}", Encoding.UTF8, "text/plain"));
        (await client.SendAsync(text)).StatusCode.Should().BeOneOf(HttpStatusCode.Forbidden, HttpStatusCode.UnsupportedMediaType);

        var after = await (await client.GetAsync($"/webhooks/{id}")).JsonAsync(HttpStatusCode.OK);
        after["active"]!.GetValue<bool>().Should().BeTrue();
        (await host.Manager.ListAsync("alice")).Items.Should().ContainSingle("the text/plain create was refused");
    }

    [Fact]
    public async Task SameOriginAndNonBrowserPosts_Pass()
    {
        await using var host = await ApiHost.StartAsync();
        using var client = host.Client("alice");
        var id = await CreateAsync(client);

        (await client.SendAsync(BrowserPost($"/webhooks/{id}/disable", "same-origin", host.BaseUrl))).StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.SendAsync(BrowserPost($"/webhooks/{id}/enable", null, host.BaseUrl))).StatusCode.Should().Be(HttpStatusCode.OK, "Origin matches Host");
        (await client.SendAsync(BrowserPost($"/webhooks/{id}/disable", "none", null))).StatusCode.Should().Be(HttpStatusCode.OK, "typed by the person");
        (await client.SendAsync(BrowserPost($"/webhooks/{id}/enable", null, null))).StatusCode.Should().Be(HttpStatusCode.OK, "not a browser");
    }

    [Fact]
    public async Task PreflightedRequests_AreLeftToCors()
    {
        await using var host = await ApiHost.StartAsync();
        using var client = host.Client("alice");
        var id = await CreateAsync(client);

        // An Authorization header, JSON, or a method other than POST: a browser sends these across
        // origins only after a preflight the app's CORS policy answers.
        var bearer = BrowserPost($"/webhooks/{id}/disable", "cross-site", "https://spa.example");
        bearer.Headers.Add("Authorization", "Bearer token-the-page-added");
        (await client.SendAsync(bearer)).StatusCode.Should().Be(HttpStatusCode.OK);

        var json = BrowserPost("/webhooks/", "cross-site", "https://spa.example", new StringContent("{\"name\":\"spa\",\"url\":\"https://example.com/spa\",\"events\":[\"item-add\"]}", Encoding.UTF8, "application/json"));
        (await client.SendAsync(json)).StatusCode.Should().Be(HttpStatusCode.Created);

        var delete = new HttpRequestMessage(HttpMethod.Delete, $"/webhooks/{id}");
        delete.Headers.Add("Sec-Fetch-Site", "cross-site");
        delete.Headers.Add("Origin", "https://spa.example");
        (await client.SendAsync(delete)).StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task TrustedOrigin_MayPostWithCookiesAlone()
    {
        await using var host = await ApiHost.StartAsync(webhooks: w => w.AddEndpoints(o => o.TrustedOrigins.Add("https://app.example.com")));
        using var client = host.Client("alice");
        var id = await CreateAsync(client);

        (await client.SendAsync(BrowserPost($"/webhooks/{id}/disable", "same-site", "https://app.example.com"))).StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.SendAsync(BrowserPost($"/webhooks/{id}/enable", "same-site", "https://APP.example.com"))).StatusCode.Should().Be(HttpStatusCode.OK, "origins compare case-insensitively");
        await (await client.SendAsync(BrowserPost($"/webhooks/{id}/disable", "same-site", "https://app.example.com:8443"))).ProblemAsync(HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("https://app.example.com/", "no path or trailing slash")]
    [InlineData("https://app.example.com/portal", "no path")]
    [InlineData("app.example.com", "scheme")]
    [InlineData("ftp://app.example.com", "scheme")]
    public async Task TrustedOrigins_NotAnOrigin_FailsAtStart(string origin, string because)
    {
        var act = async () => await ApiHost.StartAsync(webhooks: w => w.AddEndpoints(o => o.TrustedOrigins.Add(origin)));
        (await act.Should().ThrowAsync<OptionsValidationException>(because)).Which.Message.Should().Contain($"TrustedOrigins has '{origin}'");
    }
}
