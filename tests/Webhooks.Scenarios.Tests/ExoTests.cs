using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Webhooks.AspNetCore.Tests.Infrastructure;
using Webhooks.Core.Publishing;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Infrastructure;
using Webhooks.Scenarios.Tests.Infrastructure;

namespace Webhooks.Scenarios.Tests;

/// <summary>
/// Seed 002, Exo: an API with bearer tokens; each subscription targets one resource and a subset of
/// the triggers it defines; the secret is shown once; the resource cannot change; is_active pauses
/// delivery; users see only their own subscriptions; the resource catalog is browsable.
/// </summary>
public sealed class ExoTests
{
    private const string AliceToken = "tok_alice_5f2c";
    private const string BobToken = "tok_bob_91ad";

    private static Task<ProductHost> StartExoAsync() => ProductHost.StartAsync(
        webhooks: w => w
            .AddResource("order", "on_create", "on_update", "on_delete")
            .AddResource("contact", "on_create") // contact defines only on_create
            .AddSubscriptionRule<OneResourceRule>()
            .AddEndpoints(),
        map: app => app.MapWebhooks("/exo-api/webhooks"),
        services: s => s.AddAuthentication(ExoTokenHandler.SchemeName)
            .AddScheme<ExoTokenOptions, ExoTokenHandler>(ExoTokenHandler.SchemeName, o =>
            {
                o.Tokens[AliceToken] = "1";
                o.Tokens[BobToken] = "2";
            }));

    private static HttpClient Api(ProductHost exo, string? token)
    {
        var client = new HttpClient { BaseAddress = new Uri(exo.BaseUrl) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    [Fact]
    public async Task Subscription_Lifecycle_SecretOnceUpdateEventsResourceFixedDelete()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var exo = await StartExoAsync();
        using var alice = Api(exo, AliceToken);
        using var anonymous = Api(exo, null);
        using var forged = Api(exo, "tok_forged");

        (await anonymous.GetAsync("/exo-api/webhooks")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await forged.GetAsync("/exo-api/webhooks")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        var created = await (await alice.PostJsonAsync("/exo-api/webhooks", new { name = "orders", url = receiver.Url("/webhook-receiver"), events = new[] { "order.on_create", "order.on_update" } })).JsonAsync(HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();
        var secret = created["secret"]!.GetValue<string>();
        secret.Should().StartWith("whsec_").And.HaveLength(WebhookSecret.Generate().Length, "the secret is returned in full on create");
        created["active"]!.GetValue<bool>().Should().BeTrue();

        var read = await (await alice.GetAsync($"/exo-api/webhooks/{id}")).JsonAsync(HttpStatusCode.OK);
        var masked = read["secret"]!.GetValue<string>();
        masked.Should().NotBe(secret).And.EndWith(secret[^4..]).And.Contain("…", "after creation the secret is masked");
        var list = await (await alice.GetAsync("/exo-api/webhooks")).JsonAsync(HttpStatusCode.OK);
        list["items"]!.AsArray().Should().ContainSingle().Which!["secret"]!.GetValue<string>().Should().Be(masked);

        // Update the events within the resource: allowed.
        var updated = await (await alice.SendJsonAsync(HttpMethod.Put, $"/exo-api/webhooks/{id}", """{"events":["order.on_create","order.on_update","order.on_delete"]}""")).JsonAsync(HttpStatusCode.OK);
        updated["events"]!.AsArray().Select(e => e!.GetValue<string>()).Should().Equal("order.on_create", "order.on_update", "order.on_delete");

        // Changing the resource: refused, the subscription is unchanged.
        var errors = await (await alice.SendJsonAsync(HttpMethod.Put, $"/exo-api/webhooks/{id}", """{"events":["contact.on_create"]}""")).ValidationErrorsAsync();
        errors["events"].Should().ContainSingle(m => m.Contains("cannot change", StringComparison.Ordinal));

        await exo.Publisher.PublishAsync("order.on_delete", new { id = 7, status = "cancelled" }, new WebhookPublishOptions { Owner = "1" });
        var delivered = (await receiver.WaitForAsync(1))[0].ShouldBeSignedWith(secret);
        delivered.Path.Should().Be("/webhook-receiver");
        delivered.Json()["type"]!.GetValue<string>().Should().Be("order.on_delete");
        delivered.Json()["data"]!["status"]!.GetValue<string>().Should().Be("cancelled");

        (await alice.DeleteAsync($"/exo-api/webhooks/{id}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await alice.GetAsync($"/exo-api/webhooks/{id}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        await exo.Publisher.PublishAsync("order.on_create", new { id = 8 }, new WebhookPublishOptions { Owner = "1" });
        await Task.Delay(200);
        receiver.Requests.Should().HaveCount(1, "a deleted subscription receives nothing");
    }

    [Fact]
    public async Task Create_InvalidSubscriptions_AreRefusedWithTheFieldToFix()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var exo = await StartExoAsync();
        using var alice = Api(exo, AliceToken);

        var undefinedTrigger = await (await alice.PostJsonAsync("/exo-api/webhooks", new { name = "c", url = receiver.Url(), events = new[] { "contact.on_create", "contact.on_update" } })).ValidationErrorsAsync();
        undefinedTrigger["events"].Should().ContainSingle(m => m.Contains("contact.on_update", StringComparison.Ordinal), "contact does not define on_update");

        var twoResources = await (await alice.PostJsonAsync("/exo-api/webhooks", new { name = "c", url = receiver.Url(), events = new[] { "order.on_create", "contact.on_create" } })).ValidationErrorsAsync();
        twoResources["events"].Should().ContainSingle(m => m.Contains("one resource", StringComparison.Ordinal));

        var longUrl = receiver.Url("/" + new string('a', 2048));
        var tooLong = await (await alice.PostJsonAsync("/exo-api/webhooks", new { name = "c", url = longUrl, events = new[] { "order.on_create" } })).ValidationErrorsAsync();
        tooLong["url"].Should().ContainSingle(m => m.Contains("2048", StringComparison.Ordinal));
        (await alice.PostJsonAsync("/exo-api/webhooks", new { name = "c", url = receiver.Url("/" + new string('a', 2048 - receiver.Url("/").Length)), events = new[] { "order.on_create" } }))
            .StatusCode.Should().Be(HttpStatusCode.Created, "exactly 2048 characters is allowed");
    }

    [Fact]
    public async Task Subscription_Inactive_IsSkippedWithoutBeingDeleted()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var exo = await StartExoAsync();
        using var alice = Api(exo, AliceToken);
        var created = await (await alice.PostJsonAsync("/exo-api/webhooks", new { name = "orders", url = receiver.Url(), events = new[] { "order.on_create" } })).JsonAsync(HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();

        (await (await alice.SendJsonAsync(HttpMethod.Put, $"/exo-api/webhooks/{id}", """{"active":false}""")).JsonAsync(HttpStatusCode.OK))["active"]!.GetValue<bool>().Should().BeFalse();
        await exo.Publisher.PublishAsync("order.on_create", new { id = 1 }, new WebhookPublishOptions { Owner = "1" });
        (await (await alice.GetAsync($"/exo-api/webhooks/{id}")).JsonAsync(HttpStatusCode.OK))["active"]!.GetValue<bool>().Should().BeFalse("it still exists");

        (await alice.SendJsonAsync(HttpMethod.Put, $"/exo-api/webhooks/{id}", """{"active":true}""")).StatusCode.Should().Be(HttpStatusCode.OK);
        await exo.Publisher.PublishAsync("order.on_create", new { id = 2 }, new WebhookPublishOptions { Owner = "1" });

        var request = (await receiver.WaitForAsync(1))[0].ShouldBeSignedWith(created["secret"]!.GetValue<string>());
        await Task.Delay(200);
        receiver.Requests.Should().ContainSingle("the event published while inactive was skipped");
        request.Json()["data"]!["id"]!.GetValue<int>().Should().Be(2);
    }

    [Fact]
    public async Task Subscriptions_OfAnotherUser_AreInvisibleAndCatalogIsBrowsable()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var exo = await StartExoAsync();
        using var alice = Api(exo, AliceToken);
        using var bob = Api(exo, BobToken);
        var alices = await (await alice.PostJsonAsync("/exo-api/webhooks", new { name = "orders", url = receiver.Url("/alice"), events = new[] { "order.on_create" } })).JsonAsync(HttpStatusCode.Created);
        await (await bob.PostJsonAsync("/exo-api/webhooks", new { name = "orders", url = receiver.Url("/bob"), events = new[] { "order.on_create" } })).JsonAsync(HttpStatusCode.Created);
        var alicesId = alices["id"]!.GetValue<string>();

        (await (await bob.GetAsync("/exo-api/webhooks")).JsonAsync(HttpStatusCode.OK))["items"]!.AsArray()
            .Should().ContainSingle().Which!["url"]!.GetValue<string>().Should().EndWith("/bob");
        (await bob.GetAsync($"/exo-api/webhooks/{alicesId}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await bob.SendJsonAsync(HttpMethod.Put, $"/exo-api/webhooks/{alicesId}", """{"url":"http://127.0.0.1:1/x"}""")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await bob.DeleteAsync($"/exo-api/webhooks/{alicesId}")).StatusCode.Should().Be(HttpStatusCode.NotFound);

        await exo.Publisher.PublishAsync("order.on_create", new { id = 1 }, new WebhookPublishOptions { Owner = "1" });
        (await receiver.WaitForAsync(1))[0].Path.Should().Be("/alice");
        await Task.Delay(200);
        receiver.Requests.Should().ContainSingle("an order of user 1 reaches only user 1's subscription");

        var catalog = await (await bob.GetAsync("/exo-api/webhooks/event-types")).JsonAsync(HttpStatusCode.OK);
        var resources = catalog["groups"]!.AsArray().ToDictionary(
            g => g!["name"]!.GetValue<string>(),
            g => g!["eventTypes"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).ToArray());
        resources.Should().HaveCount(2);
        resources["order"].Should().Equal("order.on_create", "order.on_update", "order.on_delete");
        resources["contact"].Should().Equal("contact.on_create");
    }

    /// <summary>Exo's rule: a subscription targets one resource, and keeps it.</summary>
    private sealed class OneResourceRule : IWebhookSubscriptionRule
    {
        public ValueTask ValidateAsync(WebhookSubscriptionRuleContext context, CancellationToken cancellationToken)
        {
            var resources = context.Proposed.Events.Select(Resource).Distinct(StringComparer.Ordinal).ToArray();
            if (resources.Length != 1 || resources[0] == "*")
            {
                context.AddError("events", "A subscription targets exactly one resource: list triggers of one resource only, such as order.on_create.");
            }
            else if (context.Current is { } current && Resource(current.Events[0]) != resources[0])
            {
                context.AddError("events", $"The resource of a subscription cannot change (it is '{Resource(current.Events[0])}'); delete it and create a new one.");
            }

            return ValueTask.CompletedTask;
        }

        private static string Resource(string eventName) => eventName.Split('.')[0];
    }
}

/// <summary>Exo's API tokens: a bearer token names the user.</summary>
public sealed class ExoTokenOptions : AuthenticationSchemeOptions
{
    public Dictionary<string, string> Tokens { get; } = new(StringComparer.Ordinal);
}

/// <summary>Authenticates <c>Authorization: Bearer &lt;token&gt;</c> against <see cref="ExoTokenOptions.Tokens"/>.</summary>
public sealed class ExoTokenHandler(IOptionsMonitor<ExoTokenOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<ExoTokenOptions>(options, logger, encoder)
{
    public const string SchemeName = "ExoToken";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!Options.Tokens.TryGetValue(header["Bearer ".Length..].Trim(), out var userId))
        {
            return Task.FromResult(AuthenticateResult.Fail("Unknown token."));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, userId)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }
}
