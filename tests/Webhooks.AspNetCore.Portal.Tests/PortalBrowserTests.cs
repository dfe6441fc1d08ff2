using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.AspNetCore.Portal.Links;
using Webhooks.AspNetCore.Portal.Tests.Infrastructure;
using Webhooks.Core.Publishing;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.AspNetCore.Portal.Tests;

/// <summary>A person's path through the portal in headless Chromium, against a real app and a real receiver.</summary>
[Collection(BrowserCollection.Name)]
public sealed class PortalBrowserTests(BrowserFixture fixture) : IAsyncLifetime
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
    public async Task AccessLink_PersonPath_CreateTestPublishRedeliverDisableDelete()
    {
        var owner = "person-" + Guid.NewGuid().ToString("N")[..8];
        var problems = new List<string>();
        var page = await NewPageAsync(problems);
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        await using var receiver = await TestReceiver.StartAsync();

        // Open the access link: a session starts and the token leaves the address bar.
        await page.GotoAsync(await fixture.Host.LinkAsync(owner));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "No webhooks yet" })).ToBeVisibleAsync();
        page.Url.Should().EndWith("/webhooks/portal/", "the token left the address bar");

        // Create a webhook with bearer auth, testing the unsaved settings first.
        await page.GetByRole(AriaRole.Link, new() { Name = "Create your first webhook" }).ClickAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Orders to ERP");
        await page.GetByLabel("URL").FillAsync(receiver.Url("/erp"));
        await page.GetByLabel("Description (optional)").FillAsync("Sends orders to the ERP.");
        await page.GetByLabel("Type").SelectOptionAsync("bearer");
        await page.GetByLabel("Token").FillAsync("erp-token-123");
        await page.GetByLabel("order.created").CheckAsync();
        await page.GetByLabel("order.updated").CheckAsync();
        var before = receiver.Requests.Count;
        await page.GetByRole(AriaRole.Button, new() { Name = "Test webhook" }).ClickAsync();
        await Expect(page.Locator(".test-output")).ToContainTextAsync("answered 200");

        var test = (await receiver.WaitForAsync(before + 1))[before];
        test.Header("Authorization").Should().Be("Bearer erp-token-123");
        test.BodyText.Should().Contain("webhook.test");
        await BrowserFixture.ScreenshotAsync(page, "form");

        await page.GetByRole(AriaRole.Button, new() { Name = "Create webhook" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("This secret will not be shown again.");
        var secret = await dialog.Locator("#secret-value").InnerTextAsync();
        secret.Should().StartWith("whsec_");
        await BrowserFixture.ScreenshotAsync(page, "secret-dialog", fullPage: false);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Copy" }).ClickAsync();
        await Expect(dialog.GetByRole(AriaRole.Status)).ToHaveTextAsync("Copied.");
        (await page.EvaluateAsync<string>("() => navigator.clipboard.readText()")).Should().Be(secret);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "I have stored it" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Orders to ERP", Level = 1 })).ToBeVisibleAsync();
        (await page.ContentAsync()).Should().NotContain(secret, "the secret is shown once, in the dialog only");

        // Send a test to the saved webhook: signed with that secret, bearer auth included.
        before = receiver.Requests.Count;
        await page.GetByRole(AriaRole.Button, new() { Name = "Send test" }).ClickAsync();
        await Expect(page.Locator(".test-result")).ToContainTextAsync("Test succeeded");
        var saved = (await receiver.WaitForAsync(before + 1))[before];
        saved.Header("Authorization").Should().Be("Bearer erp-token-123");
        new Webhooks.Core.Signing.WebhookVerifier(secret).Verify(saved.Header("webhook-id")!, saved.Header("webhook-timestamp")!, saved.Header("webhook-signature")!, saved.Body);

        // Rotate the secret: confirmed, then the new one shown once.
        await page.GetByRole(AriaRole.Button, new() { Name = "Rotate secret" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Yes, proceed" }).ClickAsync();
        var rotated = page.GetByRole(AriaRole.Dialog, new() { Name = "New signing secret" });
        await Expect(rotated).ToContainTextAsync("This secret will not be shown again.");
        (await rotated.Locator("#secret-value").InnerTextAsync()).Should().StartWith("whsec_").And.NotBe(secret);
        await rotated.GetByRole(AriaRole.Button, new() { Name = "I have stored it" }).ClickAsync();

        // Publish: two succeed, the third fails (500 to every attempt until the receiver recovers).
        receiver.Responder = (ctx, _) =>
        {
            ctx.Response.StatusCode = Volatile.Read(ref _failNext) ? 500 : 200;
            return ctx.Response.WriteAsync(ctx.Response.StatusCode == 500 ? "{\"error\":\"database is down\"}" : "ok");
        };
        var options = new WebhookPublishOptions { Owner = owner };
        await fixture.Host.Publisher.PublishAsync("order.created", new { id = 1 }, options);
        await fixture.Host.Publisher.PublishAsync("order.updated", new { id = 1, note = "rush" }, options);
        await WaitForDeliveriesAsync(owner, succeeded: 2, failed: 0);
        Volatile.Write(ref _failNext, true);
        await fixture.Host.Publisher.PublishAsync("order.created", new { id = 2 }, options);
        await WaitForDeliveriesAsync(owner, succeeded: 2, failed: 1);

        // Counts, chart and log update.
        await page.GetByRole(AriaRole.Button, new() { Name = "Refresh" }).ClickAsync();
        var log = page.Locator(".log table");
        await Expect(log.Locator("tbody tr")).ToHaveCountAsync(3);
        await Expect(page.Locator(".chart-figure figcaption")).ToContainTextAsync("2 succeeded");
        await page.ReloadAsync();
        await Expect(page.Locator(".chart-figure figcaption")).ToContainTextAsync("failed");
        await Expect(page.Locator(".chart .bar-bad")).ToHaveCountAsync(1);
        await BrowserFixture.ScreenshotAsync(page, "detail-chart");

        await page.GetByRole(AriaRole.Link, new() { Name = "Webhooks", Exact = true }).First.ClickAsync();
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Orders to ERP" });
        await Expect(row).ToContainTextAsync("2 succeeded");
        await Expect(row).ToContainTextAsync("2 failed");   // the failed delivery's two attempts
        await BrowserFixture.ScreenshotAsync(page, "list");

        // Open the failed delivery from the owner-wide log, see its attempts, redeliver it.
        await page.GetByRole(AriaRole.Link, new() { Name = "Delivery log" }).ClickAsync();
        await page.GetByLabel("Status").SelectOptionAsync("failed");
        await Expect(page.Locator(".log tbody tr")).ToHaveCountAsync(1);
        await page.Locator(".log tbody tr a").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Attempt 2" })).ToBeVisibleAsync();
        await Expect(page.Locator(".attempt").First).ToContainTextAsync("500");
        await page.Locator(".attempt").First.GetByText("Response").ClickAsync();
        await Expect(page.Locator(".attempt").First.Locator("pre")).ToContainTextAsync("database is down");
        await BrowserFixture.ScreenshotAsync(page, "delivery-attempts");

        Volatile.Write(ref _failNext, false);
        await page.GetByRole(AriaRole.Button, new() { Name = "Redeliver" }).ClickAsync();
        await WaitForDeliveriesAsync(owner, succeeded: 3, failed: 0);
        await page.GetByRole(AriaRole.Button, new() { Name = "Refresh" }).ClickAsync();
        await Expect(page.Locator(".settings").First).ToContainTextAsync("Succeeded");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Attempt 3" })).ToBeVisibleAsync();

        // Disable, then delete with a confirmation.
        await page.GetByRole(AriaRole.Link, new() { Name = "Orders to ERP" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Disable" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Enable" })).ToBeVisibleAsync();
        (await fixture.Host.Subscriptions.ListAsync(owner, 10, null, null, null, default)).Items.Single().Active.Should().BeFalse();
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Yes, proceed" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "No webhooks yet" })).ToBeVisibleAsync();
        (await fixture.Host.Subscriptions.ListAsync(owner, 10, null, null, null, default)).Items.Should().BeEmpty();

        problems.Should().BeEmpty("the walk raises no script error, CSP violation or dialog");
    }

    [Fact]
    public async Task CreateForm_SubmittedWithMistakes_ShowsEachErrorBesideItsField()
    {
        var owner = "errors-" + Guid.NewGuid().ToString("N")[..8];
        await CreateAsync(owner, "Taken");
        var problems = new List<string>();
        var page = await OpenAsync(owner, problems);

        await page.GetByRole(AriaRole.Link, new() { Name = "New webhook" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create webhook" }).ClickAsync();

        var summary = page.GetByRole(AriaRole.Alert);
        await Expect(summary).ToContainTextAsync("The webhook could not be created");
        await Expect(summary).ToBeFocusedAsync();
        await Expect(page.Locator("#f-name-error")).ToHaveTextAsync("A name is required.");
        await Expect(page.Locator("#f-url-error")).ToBeVisibleAsync();
        await Expect(page.Locator("#f-events-error")).ToContainTextAsync("at least one event");
        await Expect(page.GetByLabel("Name", new() { Exact = true })).ToHaveAttributeAsync("aria-invalid", "true");
        (await page.GetByLabel("Name", new() { Exact = true }).GetAttributeAsync("aria-describedby")).Should().Contain("f-name-error");
        await BrowserFixture.ScreenshotAsync(page, "form-errors");

        // A link in the summary takes the person to the field.
        await summary.GetByRole(AriaRole.Link, new() { Name = "A name is required." }).ClickAsync();
        await Expect(page.GetByLabel("Name", new() { Exact = true })).ToBeFocusedAsync();

        // A name already taken (409 from the API) is shown beside the name too; bad auth beside its field.
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Taken");
        await page.GetByLabel("URL").FillAsync(fixture.Receiver.Url());
        await page.GetByLabel("Type").SelectOptionAsync("basic");
        await page.GetByLabel("order.created").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create webhook" }).ClickAsync();
        await Expect(page.Locator("#f-auth\\.username-error")).ToContainTextAsync("username");
        await page.GetByLabel("User name").FillAsync("erp");
        await page.GetByLabel("Password").FillAsync("s3cret");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create webhook" }).ClickAsync();
        await Expect(page.Locator("#f-name-error")).ToContainTextAsync("already exists");
        problems.Should().BeEmpty();
    }

    [Fact]
    public async Task Form_EditsEveryField_HeadersFiltersMetadataScheme_WithPayloadFilterErrorsBesideTheField()
    {
        var owner = "fields-" + Guid.NewGuid().ToString("N")[..8];
        var problems = new List<string>();
        var page = await OpenAsync(owner, problems);
        await using var receiver = await TestReceiver.StartAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Create your first webhook" }).ClickAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Every field");
        await page.GetByLabel("URL").FillAsync(receiver.Url("/fields"));
        await page.GetByLabel("invoice.paid").CheckAsync();
        await page.GetByText("More settings: custom headers, filters, metadata, signature").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Add header" }).ClickAsync();
        await Expect(page.GetByLabel("Header name 1", new() { Exact = true })).ToBeFocusedAsync();
        await page.GetByLabel("Header name 1", new() { Exact = true }).FillAsync("X-Tenant");
        await page.GetByLabel("Header value 1", new() { Exact = true }).FillAsync("acme");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add attribute" }).ClickAsync();
        await page.GetByLabel("Attribute 1", new() { Exact = true }).FillAsync("region");
        await page.GetByLabel("Allowed values 1", new() { Exact = true }).FillAsync("eu, us");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add metadata" }).ClickAsync();
        await page.GetByLabel("Key 1", new() { Exact = true }).FillAsync("team");
        await page.GetByLabel("Value 1", new() { Exact = true }).FillAsync("billing");
        await page.GetByLabel("Signature scheme").SelectOptionAsync("hmac-sha256");

        // The unsaved settings are what the test sends: the custom header and the chosen scheme.
        var before = receiver.Requests.Count;
        await page.GetByRole(AriaRole.Button, new() { Name = "Test webhook" }).ClickAsync();
        await Expect(page.Locator(".test-output")).ToContainTextAsync("answered 200");
        var test = (await receiver.WaitForAsync(before + 1))[before];
        test.Header("X-Tenant").Should().Be("acme");
        test.Header("webhook-signature").Should().BeNull("hmac-sha256 signs in its own header, not Standard Webhooks'");

        // Not JSON: said beside the field before anything is sent.
        var filter = page.GetByLabel("Payload filter (optional)");
        await filter.FillAsync("{\"data.total\": ");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create webhook" }).ClickAsync();
        await Expect(page.Locator("#f-payloadFilter-error")).ToContainTextAsync("not valid JSON");
        await Expect(filter).ToHaveAttributeAsync("aria-invalid", "true");
        (await fixture.Host.Subscriptions.ListAsync(owner)).Items.Should().BeEmpty();

        // JSON the server refuses: its per-field error is shown beside the field, and the summary links to it.
        await filter.FillAsync("{\"data.total\": {\"$gte\": 100, \"$near\": 1}}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create webhook" }).ClickAsync();
        await Expect(page.Locator("#f-payloadFilter-error")).ToContainTextAsync("data.total");
        await Expect(page.Locator("#f-payloadFilter-error")).Not.ToContainTextAsync("not valid JSON");
        await BrowserFixture.ScreenshotAsync(page, "form-payload-filter-error");
        await page.GetByRole(AriaRole.Alert).GetByRole(AriaRole.Link).First.ClickAsync();
        await Expect(filter).ToBeFocusedAsync();

        await filter.FillAsync("{\"data.total\": {\"$gte\": 100}}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create webhook" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "I have stored it" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Every field", Level = 1 })).ToBeVisibleAsync();
        var saved = (await fixture.Host.Subscriptions.ListAsync(owner)).Items.Single();
        saved.Headers.Should().Equal(new Dictionary<string, string> { ["X-Tenant"] = "acme" });
        saved.Filter["region"].Should().Equal("eu", "us");
        saved.Metadata.Should().Equal(new Dictionary<string, string> { ["team"] = "billing" });
        saved.PayloadFilter.Should().Contain("$gte");
        saved.SignatureScheme.Should().Be("hmac-sha256");
        await Expect(page.Locator(".settings").First).ToContainTextAsync("X-Tenant: acme");
        await Expect(page.Locator(".settings").First).ToContainTextAsync("region: eu, us");

        // Edit: every field comes back filled in; change the header, drop the metadata and the payload filter.
        await page.GetByRole(AriaRole.Link, new() { Name = "Edit" }).ClickAsync();
        await Expect(page.GetByLabel("Header value 1", new() { Exact = true })).ToHaveValueAsync("acme");
        await Expect(page.GetByLabel("Allowed values 1", new() { Exact = true })).ToHaveValueAsync("eu, us");
        await Expect(page.GetByLabel("Signature scheme")).ToHaveValueAsync("hmac-sha256");
        await page.GetByLabel("Header value 1", new() { Exact = true }).FillAsync("globex");
        await page.GetByRole(AriaRole.Button, new() { Name = "Remove key 1" }).ClickAsync();
        await page.GetByLabel("Payload filter (optional)").FillAsync("");
        await page.GetByLabel("Description (optional)").FillAsync("Edited.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Every field", Level = 1 })).ToBeVisibleAsync();
        var edited = (await fixture.Host.Subscriptions.ListAsync(owner)).Items.Single();
        edited.Headers["X-Tenant"].Should().Be("globex");
        edited.Metadata.Should().BeEmpty();
        edited.PayloadFilter.Should().BeNull();
        edited.Filter.Should().ContainKey("region");
        edited.Description.Should().Be("Edited.");
        edited.Events.Should().Equal("invoice.paid");
        problems.Should().BeEmpty();
    }

    [Fact]
    public async Task List_CountsEveryRow_WithABoundedNumberOfRequests()
    {
        var owner = "bounded-" + Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < 6; i++)
        {
            await CreateAsync(owner, $"Hook {i}", $"/bounded-{i}");
        }

        await fixture.Host.Publisher.PublishAsync("order.created", new { id = 1 }, new WebhookPublishOptions { Owner = owner });
        await WaitForDeliveriesAsync(owner, succeeded: 6, failed: 0);
        var problems = new List<string>();
        var page = await NewPageAsync(problems);
        var requests = new List<string>();
        page.Request += (_, r) => requests.Add(new Uri(r.Url).PathAndQuery);
        await page.GotoAsync(await fixture.Host.LinkAsync(owner));

        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "1 succeeded" })).ToHaveCountAsync(6);
        requests.Count(r => r.Contains("stats", StringComparison.Ordinal)).Should().Be(2, "the owner-wide summary and one request for every row's counts, not one per row: " + string.Join(", ", requests));
        requests.Should().ContainSingle(r => r.StartsWith("/webhooks/stats/subscriptions?", StringComparison.Ordinal));
        problems.Should().BeEmpty();
    }

    [Fact]
    public async Task AutomaticDisable_ShowsItsReason_ThenEnableAndResendFailedSinceATime()
    {
        var owner = "gone-" + Guid.NewGuid().ToString("N")[..8];
        await using var receiver = await TestReceiver.StartAsync();
        var gone = 1;
        receiver.Responder = (ctx, _) =>
        {
            ctx.Response.StatusCode = Volatile.Read(ref gone) == 1 ? 410 : 200;
            return Task.CompletedTask;
        };
        var id = (await fixture.Host.Subscriptions.CreateAsync(owner, new WebhookSubscriptionDefinition { Name = "Old endpoint", Url = receiver.Url("/old"), Events = ["order.created"] })).Subscription.Id;
        await fixture.Host.Publisher.PublishAsync("order.created", new { id = 1 }, new WebhookPublishOptions { Owner = owner });
        await WaitForDeliveriesAsync(owner, succeeded: 0, failed: 1);
        await Eventually.TrueAsync(async () => (await fixture.Host.Subscriptions.GetAsync(owner, id))!.Active == false, "the 410 disabled the webhook");

        var problems = new List<string>();
        var page = await OpenAsync(owner, problems);
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Old endpoint" });
        await Expect(row).ToContainTextAsync("Disabled");
        await Expect(row).ToContainTextAsync("410 Gone");
        await row.GetByRole(AriaRole.Link, new() { Name = "Old endpoint" }).ClickAsync();
        await Expect(page.Locator(".warning-panel")).ToContainTextAsync("Disabled automatically: The receiver answered 410 Gone");

        // The receiver is back: enable, then resend what failed since a time the person picks.
        Volatile.Write(ref gone, 0);
        await page.GetByRole(AriaRole.Button, new() { Name = "Enable" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Disable" })).ToBeVisibleAsync();
        await Expect(page.Locator(".warning-panel")).ToHaveCountAsync(0);
        var since = DateTime.Now.AddHours(-1).ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        await page.GetByLabel("Failed since").FillAsync(since);
        await page.GetByRole(AriaRole.Button, new() { Name = "Resend failed deliveries" }).ClickAsync();
        await Expect(page.GetByText("1 failed delivery was queued to be sent again.")).ToBeVisibleAsync();
        await WaitForDeliveriesAsync(owner, succeeded: 1, failed: 0);
        await BrowserFixture.ScreenshotAsync(page, "recover");

        // Nothing failed since then any more.
        await page.GetByRole(AriaRole.Button, new() { Name = "Resend failed deliveries" }).ClickAsync();
        await Expect(page.GetByText("No failed deliveries since then.")).ToBeVisibleAsync();
        problems.Should().BeEmpty();
    }

    [Fact]
    public async Task Form_EveryControlHasALabel_AndEventsAreGroupedByResourceWithDescriptions()
    {
        var owner = "labels-" + Guid.NewGuid().ToString("N")[..8];
        var problems = new List<string>();
        var page = await OpenAsync(owner, problems);
        await page.GotoAsync("/webhooks/portal/#/new");
        await page.GetByText("More settings: custom headers, filters, metadata, signature").ClickAsync();
        foreach (var add in new[] { "Add header", "Add attribute", "Add metadata" })
        {
            await page.GetByRole(AriaRole.Button, new() { Name = add }).ClickAsync();
        }

        // Every control a person can reach has a name a screen reader reads out.
        var unlabelled = await page.EvaluateAsync<string[]>(
            """
            () => [...document.querySelectorAll('main input, main select, main textarea, main button')]
              .filter((e) => !(e.labels && e.labels.length > 0 && e.labels[0].textContent.trim())
                && !e.getAttribute('aria-label') && !(e.tagName === 'BUTTON' && e.textContent.trim()))
              .map((e) => e.outerHTML)
            """);
        unlabelled.Should().BeEmpty();

        var invoices = page.GetByRole(AriaRole.Group, new() { Name = "invoice" });
        await Expect(invoices).ToContainTextAsync("invoice.paid");
        await Expect(invoices).ToContainTextAsync("An invoice was paid in full.");
        await Expect(page.GetByRole(AriaRole.Group, new() { Name = "order" })).ToContainTextAsync("order.created");
        (await page.GetByLabel("invoice.paid").GetAttributeAsync("aria-describedby")).Should().NotBeNullOrEmpty("the description is read with the checkbox");
        problems.Should().BeEmpty();
    }

    [Fact]
    public async Task KeyboardOnly_CreatesAWebhook()
    {
        var owner = "keys-" + Guid.NewGuid().ToString("N")[..8];
        var problems = new List<string>();
        var page = await OpenAsync(owner, problems);
        var keyboard = page.Keyboard;

        await TabToAsync(page, "Create your first webhook");
        await keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "New webhook" })).ToBeFocusedAsync();

        await keyboard.PressAsync("Tab");
        await Expect(page.GetByLabel("Name", new() { Exact = true })).ToBeFocusedAsync();
        await keyboard.TypeAsync("Typed by keyboard");
        await keyboard.PressAsync("Tab");
        await Expect(page.GetByLabel("URL")).ToBeFocusedAsync();
        await keyboard.TypeAsync(fixture.Receiver.Url("/keys"));
        await keyboard.PressAsync("Tab");
        await keyboard.TypeAsync("Created without a mouse.");
        await keyboard.PressAsync("Tab");
        await Expect(page.GetByLabel("Type")).ToBeFocusedAsync();
        await TabToAsync(page, "All order events");
        await keyboard.PressAsync("Space");
        await Expect(page.GetByLabel("All order events")).ToBeCheckedAsync();
        await TabToAsync(page, "Create webhook");
        await keyboard.PressAsync("Enter");

        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Copy" })).ToBeFocusedAsync();
        await keyboard.PressAsync("Tab");
        await Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "I have stored it" })).ToBeFocusedAsync();
        await keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Typed by keyboard", Level = 1 })).ToBeFocusedAsync();

        var created = (await fixture.Host.Subscriptions.ListAsync(owner)).Items.Single();
        created.Events.Should().Equal("order.*");
        created.Description.Should().Be("Created without a mouse.");
        problems.Should().BeEmpty();
    }

    [Fact]
    public async Task ReadOnlyLink_HidesEveryChange_AndTheServerRefusesThem()
    {
        var owner = "viewer-" + Guid.NewGuid().ToString("N")[..8];
        var id = await CreateAsync(owner, "Watched");
        var problems = new List<string>();
        var page = await NewPageAsync(problems);
        await page.GotoAsync(await fixture.Host.LinkAsync(owner, readOnly: true));

        await Expect(page.GetByText("You opened a read-only link")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Watched" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "New webhook" })).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Link, new() { Name = "Watched" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Settings" })).ToBeVisibleAsync();
        foreach (var action in new[] { "Edit", "Send test", "Disable", "Rotate secret", "Delete", "Resend failed deliveries" })
        {
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = action })).ToHaveCountAsync(0);
        }

        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Edit" })).ToHaveCountAsync(0);

        // Looking is allowed: the log pages 20 deliveries at a time.
        for (var i = 0; i < 23; i++)
        {
            await fixture.Host.Publisher.PublishAsync("order.created", new { id = i }, new WebhookPublishOptions { Owner = owner });
        }

        await WaitForDeliveriesAsync(owner, succeeded: 23, failed: 0);
        await page.GetByRole(AriaRole.Button, new() { Name = "Refresh" }).ClickAsync();
        await Expect(page.Locator(".log tbody tr")).ToHaveCountAsync(20);
        await page.GetByRole(AriaRole.Button, new() { Name = "Show older deliveries" }).ClickAsync();
        await Expect(page.Locator(".log tbody tr")).ToHaveCountAsync(23);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Show older deliveries" })).ToHaveCountAsync(0);
        await BrowserFixture.ScreenshotAsync(page, "read-only");

        // The page hides them; the server refuses them anyway, even with a valid anti-forgery token.
        var status = await page.EvaluateAsync<int>(
            """
            async (id) => {
              const session = await (await fetch('/webhooks/portal/session')).json();
              const r = await fetch('/webhooks/' + id + '/disable', { method: 'POST', headers: { [session.antiforgery.headerName]: session.antiforgery.token } });
              return r.status;
            }
            """,
            id);
        status.Should().Be(403);
        (await fixture.Host.Subscriptions.GetAsync(owner, id))!.Active.Should().BeTrue();

        await page.GotoAsync("/webhooks/portal/#/new");
        await Expect(page.GetByText("you cannot create or change webhooks")).ToBeVisibleAsync();
        problems.Where(p => !p.Contains("403", StringComparison.Ordinal)).Should().BeEmpty();
    }

    [Fact]
    public async Task ExpiredAlteredAndRevokedLinks_GetAClearPage_AndNoData()
    {
        var owner = "expired-" + Guid.NewGuid().ToString("N")[..8];
        await CreateAsync(owner, "Private");
        var problems = new List<string>();
        var page = await NewPageAsync(problems);

        // Expired: issued two hours ago for one hour.
        var tokens = fixture.Host.Services.GetRequiredService<WebhookPortalTokens>();
        var now = DateTimeOffset.UtcNow;
        var expired = tokens.ProtectLink(new WebhookPortalGrant(owner, false, now.AddHours(-2), now.AddHours(-1), "test"));
        await page.GotoAsync("/webhooks/portal/access#token=" + expired);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "This link has expired." })).ToBeVisibleAsync();
        await Expect(page.GetByText("Ask for a new link.")).ToBeVisibleAsync();
        page.Url.Should().NotContain("token");
        await BrowserFixture.ScreenshotAsync(page, "link-expired");
        await page.GotoAsync("/webhooks/portal/");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to manage your webhooks" })).ToBeVisibleAsync();

        // Altered: one character of a valid token changed.
        var link = await fixture.Host.LinkAsync(owner);
        var at = link.Length - 20;
        var altered = link[..at] + (link[at] == 'A' ? 'B' : 'A') + link[(at + 1)..];
        await page.GotoAsync(altered);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "This link is not valid." })).ToBeVisibleAsync();
        (await page.ContentAsync()).Should().NotContain("Private");

        // Revoked: the open session ends at its next request, and the link no longer opens.
        await page.GotoAsync(link);
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Private" })).ToBeVisibleAsync();
        await fixture.Host.Links.RevokeAsync(owner);
        await page.ReloadAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Your session has ended" })).ToBeVisibleAsync();
        await Expect(page.GetByText("revoked")).ToBeVisibleAsync();
        await page.GotoAsync(link);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "This link was revoked." })).ToBeVisibleAsync();
        (await page.ContentAsync()).Should().NotContain("Private");

        // A link made after the revocation works.
        await page.GotoAsync(await fixture.Host.LinkAsync(owner));
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Private" })).ToBeVisibleAsync();
        problems.Where(p => !p.Contains("the server responded with a status of", StringComparison.Ordinal)).Should().BeEmpty();
    }

    [Fact]
    public async Task ValuesFromTheApi_AreShownAsText_UnderAStrictContentSecurityPolicy()
    {
        const string Evil = "<img src=x onerror=alert(1)>";
        var owner = "xss-" + Guid.NewGuid().ToString("N")[..8];
        var created = await fixture.Host.Subscriptions.CreateAsync(owner, new WebhookSubscriptionDefinition
        {
            Name = Evil,
            Url = fixture.Receiver.Url("/x?a=<script>alert(2)</script>"),
            Events = ["order.created"],
            Description = "<script>alert(3)</script><b onmouseover=alert(4)>bold</b>",
        });
        var problems = new List<string>();
        var page = await NewPageAsync(problems);
        IResponse? portal = null;
        page.Response += (_, r) =>
        {
            if (r.Url.EndsWith("/webhooks/portal/", StringComparison.Ordinal))
            {
                portal = r;
            }
        };
        await page.GotoAsync(await fixture.Host.LinkAsync(owner));

        var name = page.GetByRole(AriaRole.Link, new() { Name = Evil });
        await Expect(name).ToHaveTextAsync(Evil);
        await name.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = Evil, Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByText("<script>alert(3)</script><b onmouseover=alert(4)>bold</b>")).ToBeVisibleAsync();
        (await page.Locator("img, b, main script").CountAsync()).Should().Be(0, "no value became markup");
        (await page.Locator("script:not([src]), style, [style]").CountAsync()).Should().Be(0, "no inline script or style");
        await BrowserFixture.ScreenshotAsync(page, "xss-name");

        portal.Should().NotBeNull();
        var headers = await portal!.AllHeadersAsync();
        headers["content-security-policy"].Should().Contain("script-src 'self'").And.Contain("style-src 'self'").And.Contain("default-src 'none'")
            .And.NotContain("unsafe-inline").And.NotContain("unsafe-eval");
        headers["referrer-policy"].Should().Be("no-referrer");

        // Trusted Types are enforced: even the page's own code could not turn a string into markup.
        var blocked = await page.EvaluateAsync<bool>("() => { try { document.body.innerHTML = '<i>x</i>'; return false; } catch { return true; } }");
        blocked.Should().BeTrue();
        problems.Where(p => !p.Contains("TrustedHTML", StringComparison.Ordinal)).Should().BeEmpty("no alert fired and no CSP violation happened");
        (await fixture.Host.Subscriptions.GetAsync(owner, created.Subscription.Id)).Should().NotBeNull();
    }

    [Fact]
    public async Task PhoneWidth_EveryViewFitsTheScreen_InLightAndDarkSchemes()
    {
        var owner = "phone-" + Guid.NewGuid().ToString("N")[..8];
        var id = await CreateAsync(owner, "A webhook with a rather long name for a small screen", "/a/very/long/path/that/would/overflow/a/phone/screen/if/it/did/not/wrap/anywhere");
        await CreateAsync(owner, "Second");
        await fixture.Host.Publisher.PublishAsync("order.created", new { id = 1 }, new WebhookPublishOptions { Owner = owner });
        await WaitForDeliveriesAsync(owner, succeeded: 2, failed: 0);
        var problems = new List<string>();
        var page = await NewPageAsync(problems, width: 390, height: 844);
        await page.GotoAsync(await fixture.Host.LinkAsync(owner));

        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Second" })).ToBeVisibleAsync();
        await AssertFitsAsync(page);
        await BrowserFixture.ScreenshotAsync(page, "phone-list");

        await page.GotoAsync($"/webhooks/portal/#/webhooks/{id}");
        await Expect(page.Locator(".chart-figure")).ToBeVisibleAsync();
        await Expect(page.Locator(".log tbody tr")).ToHaveCountAsync(1);
        await AssertFitsAsync(page);
        await BrowserFixture.ScreenshotAsync(page, "phone-detail");

        await page.GotoAsync("/webhooks/portal/#/new");
        await Expect(page.GetByLabel("Name", new() { Exact = true })).ToBeVisibleAsync();
        await page.GetByText("More settings: custom headers, filters, metadata, signature").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Add header" }).ClickAsync();
        await AssertFitsAsync(page);
        await BrowserFixture.ScreenshotAsync(page, "phone-form");

        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await page.GotoAsync($"/webhooks/portal/#/webhooks/{id}");
        await Expect(page.Locator(".chart-figure")).ToBeVisibleAsync();
        var background = await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");
        background.Should().Be("rgb(13, 17, 23)", "the dark scheme follows the system setting");
        await BrowserFixture.ScreenshotAsync(page, "phone-detail-dark");
        problems.Should().BeEmpty();
    }

    [Fact]
    public async Task AppSignIn_OpensThePortalWithoutALink_AndTheAppsPolicyApplies()
    {
        var owner = "carol-" + Guid.NewGuid().ToString("N")[..8];
        await CreateAsync(owner, "Carol's hook");
        var problems = new List<string>();

        var manager = await fixture.Browser.NewContextAsync(new() { BaseURL = fixture.Host.BaseUrl, ExtraHTTPHeaders = new Dictionary<string, string> { ["X-Test-User"] = owner, ["X-Test-Roles"] = "Manage" } });
        _contexts.Add(manager);
        var page = await manager.NewPageAsync();
        page.Console += (_, m) => { if (m.Type == "error") problems.Add(m.Text); };
        await page.GotoAsync("/webhooks/portal/");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Carol's hook" })).ToBeVisibleAsync();
        await Expect(page.Locator("#session")).ToContainTextAsync(owner);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "End session" })).ToHaveCountAsync(0);

        // Signed in without the role the app's policy asks for, and not signed in at all.
        var viewer = await fixture.Browser.NewContextAsync(new() { BaseURL = fixture.Host.BaseUrl, ExtraHTTPHeaders = new Dictionary<string, string> { ["X-Test-User"] = owner } });
        _contexts.Add(viewer);
        var denied = await viewer.NewPageAsync();
        var response = await denied.GotoAsync("/webhooks/portal/");
        response!.Status.Should().Be(403);
        await Expect(denied.GetByRole(AriaRole.Heading, new() { Name = "You cannot manage webhooks here" })).ToBeVisibleAsync();

        var anonymous = await NewPageAsync(problems);
        response = await anonymous.GotoAsync("/webhooks/portal/");
        response!.Status.Should().Be(401);
        await Expect(anonymous.GetByRole(AriaRole.Heading, new() { Name = "Sign in to manage your webhooks" })).ToBeVisibleAsync();
        (await anonymous.ContentAsync()).Should().NotContain("Carol");
        problems.Where(p => !p.Contains("the server responded with a status of", StringComparison.Ordinal)).Should().BeEmpty();
    }

    [Fact]
    public async Task AppCookieSignIn_ThePortalsChangesPass_AFormPostedFromAnotherOriginIsRefused()
    {
        await using var app = await PortalHost.StartAsync(cookieSignIn: true);
        await using var attacker = await TestReceiver.StartAsync();
        var owner = "erin-" + Guid.NewGuid().ToString("N")[..8];
        var id = (await app.Subscriptions.CreateAsync(owner, new WebhookSubscriptionDefinition { Name = "Erin's hook", Url = fixture.Receiver.Url("/erin"), Events = ["order.created"] })).Subscription.Id;
        var problems = new List<string>();
        var context = await fixture.Browser.NewContextAsync(new() { BaseURL = app.BaseUrl });
        _contexts.Add(context);
        var page = await context.NewPageAsync();
        page.Console += (_, m) => { if (m.Type == "error" && !m.Text.StartsWith("Failed to load resource: the server responded with a status of 4", StringComparison.Ordinal)) problems.Add(m.Text); };

        // Signed in to the app with its cookie, the person disables the webhook in the portal.
        await page.GotoAsync($"/app/sign-in?user={owner}&roles=Manage");
        await page.GotoAsync($"/webhooks/portal/#/webhooks/{id}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Disable" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Enable" })).ToBeVisibleAsync();
        (await app.Subscriptions.GetAsync(owner, id))!.Active.Should().BeFalse();

        // Another origin on the same site (as a sibling subdomain would be): its form gets the
        // app's cookie sent along, and is refused for lacking the anti-forgery token.
        attacker.Responder = (ctx, _) =>
        {
            ctx.Response.ContentType = "text/html";
            return ctx.Response.WriteAsync($"<!doctype html><form method=\"post\" action=\"{app.BaseUrl}/webhooks/{id}/enable\"><button>Claim your prize</button></form>");
        };
        await page.GotoAsync(attacker.Url("/prize"));
        var answer = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Claim your prize" }).ClickAsync(),
            r => r.Url.EndsWith($"/webhooks/{id}/enable", StringComparison.Ordinal));
        answer.Status.Should().Be(400);
        (await answer.Request.AllHeadersAsync()).Should().Contain("sec-fetch-site", "same-site", "what MapWebhooks() refuses cross-origin posts by when the portal's token check is not there");
        await page.WaitForURLAsync($"{app.BaseUrl}/webhooks/{id}/enable");
        (await page.ContentAsync()).Should().Contain("antiforgery", "the cookie reached the app (no 401): the token is what refused it");
        (await app.Subscriptions.GetAsync(owner, id))!.Active.Should().BeFalse("the forged change did not happen");
        problems.Should().BeEmpty();
    }

    private async Task<IPage> NewPageAsync(List<string> problems, int width = 1280, int height = 900)
    {
        var page = await fixture.NewPageAsync(problems, width, height);
        _contexts.Add(page.Context);
        return page;
    }

    private async Task<IPage> OpenAsync(string owner, List<string> problems)
    {
        var page = await NewPageAsync(problems);
        await page.GotoAsync(await fixture.Host.LinkAsync(owner));
        await Expect(page.Locator("main h1")).ToBeVisibleAsync();
        return page;
    }

    private async Task<string> CreateAsync(string owner, string name, string path = "/hook") =>
        (await fixture.Host.Subscriptions.CreateAsync(owner, new WebhookSubscriptionDefinition { Name = name, Url = fixture.Receiver.Url(path), Events = ["order.created"] })).Subscription.Id;

    /// <summary>Presses Tab until the focused element is the one named, as a keyboard user would; fails if it is never reached.</summary>
    private static async Task TabToAsync(IPage page, string name)
    {
        for (var i = 0; i < 40; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            var focused = await page.EvaluateAsync<string>(
                "() => { const e = document.activeElement; if (!e) return ''; const l = e.labels && e.labels[0]; return ((l && l.textContent) || e.textContent || '').trim(); }");
            if (focused == name)
            {
                return;
            }
        }

        throw new InvalidOperationException($"'{name}' was not reached with the Tab key.");
    }

    private static async Task AssertFitsAsync(IPage page)
    {
        var (scroll, width) = (await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth"), await page.EvaluateAsync<int>("() => window.innerWidth"));
        scroll.Should().BeLessThanOrEqualTo(width, "nothing scrolls sideways at a phone's width");
    }

    private bool _failNext;

    private async Task WaitForDeliveriesAsync(string owner, int succeeded, int failed) =>
        await Eventually.TrueAsync(
            async () =>
            {
                var page = await fixture.Host.Deliveries.GetDeliveriesAsync(owner, null, null, null, 50, null, default);
                return page!.Items.Count(d => d.Status == WebhookDeliveryStatus.Succeeded) == succeeded
                    && page.Items.Count(d => d.Status == WebhookDeliveryStatus.Failed) == failed;
            },
            $"{succeeded} succeeded and {failed} failed deliveries of {owner}");

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);
}
