using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Playwright;
using Webhooks.AspNetCore.Portal.Tests.Infrastructure;
using Webhooks.Core;
using Webhooks.Core.Publishing;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.AspNetCore.Portal.Tests;

/// <summary>
/// Delivery control in the portal, in headless Chromium: the rate limit and ordered delivery in the
/// form (read back through the management API), a delivery's ordering key in the log, and an
/// endpoint whose circuit opened after repeated failures.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class PortalDeliveryControlTests(BrowserFixture fixture) : IAsyncLifetime
{
    private readonly List<IBrowserContext> _contexts = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var context in _contexts)
        {
            await context.CloseAsync();
        }
    }

    [Fact]
    public async Task Form_RateLimitAndOrdered_AreSavedAndShown_ClearingTheLimitRemovesIt()
    {
        var owner = "control-" + Guid.NewGuid().ToString("N")[..8];
        var problems = new List<string>();
        var page = await fixture.NewPageAsync(problems);
        _contexts.Add(page.Context);
        await page.GotoAsync(await fixture.Host.LinkAsync(owner));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "No webhooks yet" })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Create your first webhook" }).ClickAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Paced and ordered");
        await page.GetByLabel("URL").FillAsync(fixture.Receiver.Url("/paced"));
        await page.GetByLabel("order.created").CheckAsync();
        var limit = page.GetByLabel("Rate limit (deliveries per second)");
        var ordered = page.GetByLabel("Ordered delivery");
        (await ordered.GetAttributeAsync("aria-describedby")).Should().Contain("f-ordered-hint", "the explanation is read with the checkbox");
        await Expect(page.Locator("#f-ordered-hint")).ToContainTextAsync("same ordering key");

        // Out of range: the server's error for rateLimit is shown beside the field.
        await limit.FillAsync("20000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create webhook" }).ClickAsync();
        await Expect(page.Locator("#f-rateLimit-error")).ToContainTextAsync("20000 is out of range");
        await Expect(limit).ToHaveAttributeAsync("aria-invalid", "true");
        await BrowserFixture.ScreenshotAsync(page, "form-rate-limit-error");
        (await fixture.Host.Subscriptions.ListAsync(owner)).Items.Should().BeEmpty();

        await limit.FillAsync("25");
        await ordered.CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create webhook" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "I have stored it" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Paced and ordered", Level = 1 })).ToBeVisibleAsync();
        var settings = page.Locator(".settings").First;
        await Expect(settings).ToContainTextAsync("25 deliveries per second");
        await Expect(settings).ToContainTextAsync("On: events with the same ordering key");

        using var api = ApiClient(fixture.Host, owner);
        var id = (await fixture.Host.Subscriptions.ListAsync(owner)).Items.Single().Id;
        var read = await api.GetFromJsonAsync<JsonElement>($"/webhooks/{id}");
        read.GetProperty("rateLimit").GetInt32().Should().Be(25);
        read.GetProperty("ordered").GetBoolean().Should().BeTrue();
        read.GetProperty("endpoint").GetProperty("circuit").GetString().Should().Be("closed");

        // Edit: both come back filled in; clearing the limit removes it, ordered stays.
        await page.GetByRole(AriaRole.Link, new() { Name = "Edit" }).ClickAsync();
        await Expect(limit).ToHaveValueAsync("25");
        await Expect(ordered).ToBeCheckedAsync();
        await limit.FillAsync("");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Paced and ordered", Level = 1 })).ToBeVisibleAsync();
        await Expect(settings).ToContainTextAsync("None: deliveries are sent as they come");
        read = await api.GetFromJsonAsync<JsonElement>($"/webhooks/{id}");
        (read.TryGetProperty("rateLimit", out var cleared) ? cleared.ValueKind : JsonValueKind.Null).Should().Be(JsonValueKind.Null, "clearing the field sent 0, which removes the limit");
        read.GetProperty("ordered").GetBoolean().Should().BeTrue();

        // A delivery's ordering key shows in the log and on the delivery.
        await fixture.Host.Publisher.PublishAsync("order.created", new { id = 42 }, new WebhookPublishOptions { Owner = owner, OrderingKey = "order-42" });
        await Eventually.TrueAsync(
            async () => (await fixture.Host.Deliveries.GetDeliveriesAsync(owner, null, null, null, 10, null, default))!.Items.Any(d => d.Status == WebhookDeliveryStatus.Succeeded),
            "the ordered delivery succeeded");
        await page.GetByRole(AriaRole.Button, new() { Name = "Refresh" }).ClickAsync();
        var row = page.Locator(".log tbody tr");
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync("order-42");
        await row.Locator("a").ClickAsync();
        await Expect(page.Locator(".settings").First).ToContainTextAsync("Ordering key");
        await Expect(page.Locator(".settings").First).ToContainTextAsync("order-42");

        // Turning ordered delivery off is saved too.
        await page.GotoAsync($"/webhooks/portal/#/webhooks/{id}/edit");
        await ordered.UncheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Expect(page.Locator(".settings").First).ToContainTextAsync("Ordered delivery");
        await Eventually.TrueAsync(async () => (await fixture.Host.Subscriptions.GetAsync(owner, id))!.Ordered == false, "ordered was turned off");
        problems.Should().BeEmpty();
    }

    [Fact]
    public async Task Ordered_WithAStoreThatCannotKeepOrder_TheRefusalIsShownBesideTheCheckbox()
    {
        await using var app = await PortalHost.StartAsync(services: s => s.Replace(ServiceDescriptor.Singleton<IWebhookDeliveryStore, PortalSetupTests.QueueOnlyStore>()));
        var owner = "unordered-" + Guid.NewGuid().ToString("N")[..8];
        var problems = new List<string>();
        var context = await fixture.Browser.NewContextAsync(new() { BaseURL = app.BaseUrl });
        _contexts.Add(context);
        var page = await context.NewPageAsync();
        page.PageError += (_, error) => problems.Add("page error: " + error);
        await page.GotoAsync(await app.LinkAsync(owner));

        await page.GetByRole(AriaRole.Link, new() { Name = "Create your first webhook" }).ClickAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Wants order");
        await page.GetByLabel("URL").FillAsync(fixture.Receiver.Url("/order"));
        await page.GetByLabel("order.created").CheckAsync();
        var ordered = page.GetByLabel("Ordered delivery");
        await ordered.CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create webhook" }).ClickAsync();

        await Expect(page.Locator("#f-ordered-error")).ToContainTextAsync("does not keep deliveries in order");
        await Expect(ordered).ToHaveAttributeAsync("aria-invalid", "true");
        await page.GetByRole(AriaRole.Alert).GetByRole(AriaRole.Link).First.ClickAsync();
        await Expect(ordered).ToBeFocusedAsync();
        (await app.Subscriptions.ListAsync(owner)).Items.Should().BeEmpty();
        problems.Should().BeEmpty();
    }

    [Fact]
    public async Task FailingReceiver_OpensTheCircuit_TheTableAndTheWebhookPageSaySo()
    {
        // A host of its own whose circuit opens after two failed attempts, with a break long enough
        // that the page sees it open.
        await using var app = await PortalHost.StartAsync(configure: w => w.Services.Configure<WebhookOptions>(o =>
        {
            o.CircuitBreaker.MinimumAttempts = 2;
            o.CircuitBreaker.BreakDuration = TimeSpan.FromMinutes(10);
            o.CircuitBreaker.MaxBreakDuration = TimeSpan.FromMinutes(10);
        }));
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = (ctx, _) =>
        {
            ctx.Response.StatusCode = 500;
            return Task.CompletedTask;
        };
        var owner = "broken-" + Guid.NewGuid().ToString("N")[..8];
        var id = (await app.Subscriptions.CreateAsync(owner, new WebhookSubscriptionDefinition { Name = "<b>Down</b> endpoint", Url = receiver.Url("/down"), Events = ["order.created"] })).Subscription.Id;
        for (var i = 0; i < 2; i++)
        {
            await app.Publisher.PublishAsync("order.created", new { id = i }, new WebhookPublishOptions { Owner = owner });
        }

        using var api = ApiClient(app, owner);
        await Eventually.TrueAsync(
            async () =>
            {
                var read = await api.GetFromJsonAsync<JsonElement>($"/webhooks/{id}");
                return read.GetProperty("endpoint").GetProperty("circuit").GetString() == "open"
                    && read.TryGetProperty("failingSince", out var since) && since.ValueKind == JsonValueKind.String;
            },
            "the endpoint's circuit opened and the webhook is failing");

        var problems = new List<string>();
        var context = await fixture.Browser.NewContextAsync(new() { BaseURL = app.BaseUrl, ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        _contexts.Add(context);
        var page = await context.NewPageAsync();
        page.Console += (_, m) => { if (m.Type is "error" or "warning" && !m.Text.StartsWith("Failed to load resource: the server responded with a status of 4", StringComparison.Ordinal)) problems.Add(m.Text); };
        page.PageError += (_, error) => problems.Add("page error: " + error);
        await page.GotoAsync(await app.LinkAsync(owner));

        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "<b>Down</b> endpoint" });
        await Expect(row).ToContainTextAsync("Failing since");
        await Expect(row).ToContainTextAsync("Paused until");
        await Expect(row).ToContainTextAsync("after repeated failures");
        await Expect(row).ToContainTextAsync("Active");
        await row.GetByRole(AriaRole.Link, new() { Name = "<b>Down</b> endpoint" }).ClickAsync();

        var health = page.GetByRole(AriaRole.Region, new() { Name = "Delivery health" });
        await Expect(health).ToContainTextAsync("Failing since");
        await Expect(health).ToContainTextAsync("Paused until");
        await Expect(health).ToContainTextAsync("after repeated failures");
        await Expect(health.Locator("time")).ToHaveCountAsync(2);
        (await page.Locator("main b").CountAsync()).Should().Be(0, "the name stays text");
        await BrowserFixture.ScreenshotAsync(page, "circuit-open");
        problems.Should().BeEmpty();
    }

    [Fact]
    public async Task ProbeInFlight_TheWebhookPageSaysProbing()
    {
        // The circuit opens after two failed attempts and breaks for a second; the probe that follows
        // hangs at the receiver (attempts may take minutes here), so the circuit stays half-open.
        await using var app = await PortalHost.StartAsync(configure: w => w.Services.Configure<WebhookOptions>(o =>
        {
            o.AttemptTimeout = TimeSpan.FromMinutes(2);
            o.LeaseDuration = TimeSpan.FromMinutes(3);
            o.CircuitBreaker.MinimumAttempts = 2;
            o.CircuitBreaker.BreakDuration = TimeSpan.FromSeconds(1);
            o.CircuitBreaker.MaxBreakDuration = TimeSpan.FromSeconds(1);
        }));
        await using var receiver = await TestReceiver.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requests = 0;
        receiver.Responder = async (ctx, _) =>
        {
            if (Interlocked.Increment(ref requests) <= 2)
            {
                ctx.Response.StatusCode = 500;
                return;
            }

            await release.Task.WaitAsync(ctx.RequestAborted);
            ctx.Response.StatusCode = 200;
        };
        try
        {
            var owner = "probe-" + Guid.NewGuid().ToString("N")[..8];
            var id = (await app.Subscriptions.CreateAsync(owner, new WebhookSubscriptionDefinition { Name = "Recovering", Url = receiver.Url("/probe"), Events = ["order.created"] })).Subscription.Id;
            for (var i = 0; i < 3; i++)
            {
                await app.Publisher.PublishAsync("order.created", new { id = i }, new WebhookPublishOptions { Owner = owner });
            }

            using var api = ApiClient(app, owner);
            await Eventually.TrueAsync(
                async () => (await api.GetFromJsonAsync<JsonElement>($"/webhooks/{id}")).GetProperty("endpoint").GetProperty("circuit").GetString() == "halfOpen",
                "the endpoint's circuit is half-open while its probe is in flight");

            var problems = new List<string>();
            var context = await fixture.Browser.NewContextAsync(new() { BaseURL = app.BaseUrl });
            _contexts.Add(context);
            var page = await context.NewPageAsync();
            page.PageError += (_, error) => problems.Add("page error: " + error);
            await page.GotoAsync(await app.LinkAsync(owner));
            await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Recovering" })).ToContainTextAsync("Probing");
            await page.GetByRole(AriaRole.Link, new() { Name = "Recovering" }).ClickAsync();
            var health = page.GetByRole(AriaRole.Region, new() { Name = "Delivery health" });
            await Expect(health).ToContainTextAsync("Probing");
            await Expect(health).ToContainTextAsync("whether the endpoint works again");
            await Expect(health).Not.ToContainTextAsync("Paused");
            problems.Should().BeEmpty();
        }
        finally
        {
            release.TrySetResult();
        }
    }

    /// <summary>The management API as the app's own user (header sign-in with the Manage role).</summary>
    private static HttpClient ApiClient(PortalHost host, string owner)
    {
        var http = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        http.DefaultRequestHeaders.Add("X-Test-User", owner);
        http.DefaultRequestHeaders.Add("X-Test-Roles", "Manage");
        return http;
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);
}
