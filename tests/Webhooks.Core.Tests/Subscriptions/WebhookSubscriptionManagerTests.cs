using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Subscriptions;

public sealed class WebhookSubscriptionManagerTests : IAsyncLifetime
{
    private WebhookHost _host = null!;

    private WebhookSubscriptionManager Manager => _host.Subscriptions;

    public async Task InitializeAsync() => _host = await WebhookHost.StartAsync(
        b => b.AddResource("order").AddEventType("item-add", group: "item").AddEventType("task.status.updated"),
        o => o.AllowHttp = false,
        start: false);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public static TheoryData<string, Func<WebhookSubscriptionDefinition, WebhookSubscriptionDefinition>, string, string> InvalidDefinitions => new()
    {
        { "empty name", d => d with { Name = " " }, "name", "A name is required." },
        { "long name", d => d with { Name = new string('n', 201) }, "name", "limit is 200" },
        { "control char in name", d => d with { Name = "a\u0007b" }, "name", "control characters" },
        { "missing url", d => d with { Url = "" }, "url", "A URL is required." },
        { "relative url", d => d with { Url = "/hooks" }, "url", "must be absolute" },
        { "ftp url", d => d with { Url = "ftp://example.com/x" }, "url", "must be absolute and start with https://" },
        { "http not allowed", d => d with { Url = "http://example.com/x" }, "url", "must use https://" },
        { "url over 2048", d => d with { Url = "https://example.com/" + new string('a', 2030) }, "url", "limit is 2048" },
        { "credentials in url", d => d with { Url = "https://user:pw@example.com/x" }, "url", "user name or password" },
        { "fragment in url", d => d with { Url = "https://example.com/x#frag" }, "url", "#fragment" },
        { "no events", d => d with { Events = [] }, "events", "at least one event type" },
        { "duplicate event", d => d with { Events = ["order.created", "order.created"] }, "events", "listed more than once" },
        { "unknown event", d => d with { Events = ["order.shipped"] }, "events", "Unknown event type 'order.shipped'. Known: order.created, order.updated, order.deleted, item-add, task.status.updated" },
        { "unknown pattern", d => d with { Events = ["invoice.*"] }, "events", "Unknown event type 'invoice.*'" },
        { "long description", d => d with { Description = new string('d', 1025) }, "description", "limit is 1024" },
        { "basic without user", d => d with { Auth = WebhookAuth.Basic("", "pw") }, "auth.username", "needs a username" },
        { "basic user with colon", d => d with { Auth = WebhookAuth.Basic("a:b", "pw") }, "auth.username", "must not contain ':'" },
        { "basic without password", d => d with { Auth = WebhookAuth.Basic("u", "") }, "auth.password", "needs a password" },
        { "bearer over 255 bytes", d => d with { Auth = WebhookAuth.Bearer(new string('t', 256)) }, "auth.token", "limit is 255" },
        { "bearer non-ascii", d => d with { Auth = WebhookAuth.Bearer("tökén") }, "auth.token", "printable ASCII" },
        { "bearer control char", d => d with { Auth = WebhookAuth.Bearer("a\r\nInjected: 1") }, "auth.token", "printable ASCII" },
        { "api key no header", d => d with { Auth = WebhookAuth.ApiKey("", "k") }, "auth.headerName", "needs a header name" },
        { "api key bad header", d => d with { Auth = WebhookAuth.ApiKey("X Api Key", "k") }, "auth.headerName", "may hold only" },
        { "api key reserved header", d => d with { Auth = WebhookAuth.ApiKey("webhook-signature", "k") }, "auth.headerName", "cannot be sent in the 'webhook-signature' header" },
        { "api key value non-ascii", d => d with { Auth = WebhookAuth.ApiKey("X-Api-Key", "ключ") }, "auth.key", "printable ASCII" },
        { "header crlf", d => d with { Headers = new Dictionary<string, string> { ["X-A"] = "v\r\nX-Evil: 1" } }, "headers", "line breaks" },
        { "header bad name", d => d with { Headers = new Dictionary<string, string> { ["X A"] = "v" } }, "headers", "may hold only" },
        { "header host", d => d with { Headers = new Dictionary<string, string> { ["Host"] = "evil" } }, "headers", "cannot be overridden" },
        { "header signature", d => d with { Headers = new Dictionary<string, string> { ["Webhook-Signature"] = "v1,x" } }, "headers", "cannot be overridden" },
        { "header authorization", d => d with { Headers = new Dictionary<string, string> { ["authorization"] = "x" } }, "headers", "cannot be overridden" },
        { "header hop-by-hop", d => d with { Headers = new Dictionary<string, string> { ["Transfer-Encoding"] = "chunked" } }, "headers", "cannot be overridden" },
        { "header hmac signature", d => d with { Headers = new Dictionary<string, string> { ["X-Webhook-Signature"] = "x" } }, "headers", "cannot be overridden" },
        { "header same as api key", d => d with { Auth = WebhookAuth.ApiKey("X-Key", "k"), Headers = new Dictionary<string, string> { ["x-key"] = "x" } }, "headers", "cannot be overridden" },
        { "too many headers", d => d with { Headers = Enumerable.Range(0, 21).ToDictionary(i => $"X-H{i}", i => "v") }, "headers", "At most 20" },
        { "bad secret prefix", d => d with { Secret = "secret_abc" }, "secret", "must start with 'whsec_'" },
        { "short secret", d => d with { Secret = "whsec_" + Convert.ToBase64String(new byte[16]) }, "secret", "holds 16 bytes" },
        { "secret not base64", d => d with { Secret = "whsec_!!!" }, "secret", "not valid base64" },
        { "unknown scheme", d => d with { SignatureScheme = "md5" }, "signatureScheme", "Unknown signature scheme 'md5'" },
        { "metadata key too long", d => d with { Metadata = new Dictionary<string, string> { [new string('k', 65)] = "v" } }, "metadata", "1 to 64 characters" },
    };

    [Theory]
    [MemberData(nameof(InvalidDefinitions))]
    public async Task Create_InvalidField_ThrowsValidationErrorNamingFieldAndFix(string because, Func<WebhookSubscriptionDefinition, WebhookSubscriptionDefinition> change, string field, string message)
    {
        var act = () => Manager.CreateAsync("o", change(Valid()));

        var error = (await act.Should().ThrowAsync<WebhookValidationException>(because)).Which;
        error.Errors.Should().ContainKey(field);
        error.Errors[field].Should().Contain(m => m.Contains(message, StringComparison.Ordinal), because);
    }

    [Fact]
    public async Task Create_ValidationError_NeverEchoesAuthValue()
    {
        var act = () => Manager.CreateAsync("o", Valid() with { Auth = WebhookAuth.Bearer("sëcret-token-value") });

        var error = (await act.Should().ThrowAsync<WebhookValidationException>()).Which;
        error.Message.Should().NotContain("sëcret-token-value");
    }

    [Fact]
    public async Task Create_Valid_GeneratesSecretShownOnceThenMasked()
    {
        var created = await Manager.CreateAsync("o", Valid() with { Auth = WebhookAuth.Basic("u", "correct-horse-battery") });

        created.Secret.Should().StartWith("whsec_");
        WebhookSecret.Validate(created.Secret).Should().BeNull();
        created.Subscription.Version.Should().Be(1);
        var read = await Manager.GetAsync("o", created.Subscription.Id);
        read!.Secrets[0].Value.Should().Be("whsec_…" + created.Secret[^4..]);
        read.Auth.Secret.Should().Be("****");
        read.ToString().Should().NotContain(created.Secret);
        created.Subscription.ToString().Should().NotContain(created.Secret).And.NotContain("correct-horse-battery");
    }

    [Fact]
    public async Task Create_WithOwnSecret_KeepsIt()
    {
        var secret = "whsec_" + Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

        var created = await Manager.CreateAsync("o", Valid() with { Secret = secret });

        created.Secret.Should().Be(secret);
    }

    [Fact]
    public async Task Create_DuplicateNameSameOwner_Conflicts_OtherOwnerAllowed()
    {
        await Manager.CreateAsync("o", Valid());

        var act = () => Manager.CreateAsync("o", Valid());

        await act.Should().ThrowAsync<WebhookConflictException>().WithMessage("*named 'hook'*");
        (await Manager.CreateAsync("other", Valid())).Subscription.Owner.Should().Be("other");
    }

    [Fact]
    public async Task Update_StaleVersion_ThrowsConcurrencyError()
    {
        var created = await Manager.CreateAsync("o", Valid());
        await Manager.UpdateAsync("o", created.Subscription.Id, new WebhookSubscriptionPatch { Description = "first" }, expectedVersion: 1);

        var act = () => Manager.UpdateAsync("o", created.Subscription.Id, new WebhookSubscriptionPatch { Description = "second" }, expectedVersion: 1);

        (await act.Should().ThrowAsync<WebhookConcurrencyException>()).Which.ActualVersion.Should().Be(2);
    }

    [Fact]
    public async Task Store_ConcurrentUpdatesFromSameVersion_OnlyOneWins()
    {
        var store = _host.Services.GetRequiredService<IWebhookSubscriptionStore>();
        var created = await Manager.CreateAsync("o", Valid());
        var read = await store.GetAsync(created.Subscription.Id, default);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            try
            {
                await store.UpdateAsync(read! with { Description = $"d{i}" }, default);
                return true;
            }
            catch (WebhookConcurrencyException)
            {
                return false;
            }
        }));

        results.Count(r => r).Should().Be(1);
        (await store.GetAsync(created.Subscription.Id, default))!.Version.Should().Be(2);
    }

    [Fact]
    public async Task Update_PartialPatch_ChangesOnlyGivenFields()
    {
        var created = await Manager.CreateAsync("o", Valid() with { Description = "keep", Events = ["order.created"] });

        var updated = await Manager.UpdateAsync("o", created.Subscription.Id, new WebhookSubscriptionPatch { Events = ["order.created", "order.deleted"] });

        updated!.Events.Should().Equal("order.created", "order.deleted");
        updated.Description.Should().Be("keep");
        updated.Url.Should().Be(created.Subscription.Url);
        updated.Version.Should().Be(2);
    }

    [Fact]
    public async Task Update_InvalidPatch_ThrowsAndChangesNothing()
    {
        var created = await Manager.CreateAsync("o", Valid());

        var act = () => Manager.UpdateAsync("o", created.Subscription.Id, new WebhookSubscriptionPatch { Url = "notaurl", Events = [] });

        var error = (await act.Should().ThrowAsync<WebhookValidationException>()).Which;
        error.Errors.Keys.Should().BeEquivalentTo(["url", "events"]);
        (await Manager.GetAsync("o", created.Subscription.Id))!.Version.Should().Be(1);
    }

    [Fact]
    public async Task OtherOwner_SeesNothing_AndCannotChangeAnything()
    {
        var created = await Manager.CreateAsync("alice", Valid());
        var id = created.Subscription.Id;

        (await Manager.GetAsync("bob", id)).Should().BeNull();
        (await Manager.UpdateAsync("bob", id, new WebhookSubscriptionPatch { Name = "x" })).Should().BeNull();
        (await Manager.DeleteAsync("bob", id)).Should().BeFalse();
        (await Manager.RotateSecretAsync("bob", id)).Should().BeNull();
        (await _host.Deliveries.GetDeliveriesAsync("bob", id)).Should().BeNull();
        (await _host.Deliveries.GetStatsAsync("bob", id, TimeSpan.FromHours(1), TimeSpan.FromMinutes(5))).Should().BeNull();
        (await Manager.ListAsync("bob")).Items.Should().BeEmpty();
        (await Manager.GetAsync("alice", id)).Should().NotBeNull();
    }

    [Fact]
    public async Task List_PagesInCreationOrder_AndFilters()
    {
        for (int i = 0; i < 5; i++)
        {
            await Manager.CreateAsync("o", Valid() with { Name = $"h{i}", Active = i % 2 == 0, Events = i < 2 ? ["order.created"] : ["item-add"] });
        }

        var first = await Manager.ListAsync("o", limit: 2);
        var second = await Manager.ListAsync("o", limit: 2, cursor: first.NextCursor);
        var third = await Manager.ListAsync("o", limit: 2, cursor: second.NextCursor);

        first.Items.Select(s => s.Name).Should().Equal("h0", "h1");
        second.Items.Select(s => s.Name).Should().Equal("h2", "h3");
        third.Items.Select(s => s.Name).Should().Equal("h4");
        third.NextCursor.Should().BeNull();
        (await Manager.ListAsync("o", active: false)).Items.Select(s => s.Name).Should().Equal("h1", "h3");
        (await Manager.ListAsync("o", eventType: "order.created")).Items.Select(s => s.Name).Should().Equal("h0", "h1");
        var act = () => Manager.ListAsync("o", limit: 0);
        await act.Should().ThrowAsync<WebhookValidationException>();
    }

    [Fact]
    public async Task Wildcards_GroupAndPrefixPatterns_AreAccepted()
    {
        var created = await Manager.CreateAsync("o", Valid() with { Events = ["*", "item.*", "task.*", "task.status.*", "order.*"] });

        created.Subscription.Events.Should().HaveCount(5);
    }

    [Fact]
    public async Task RotateSecret_InvalidOwnSecret_ThrowsValidationError()
    {
        var created = await Manager.CreateAsync("o", Valid());

        var act = () => Manager.RotateSecretAsync("o", created.Subscription.Id, "nope");

        (await act.Should().ThrowAsync<WebhookValidationException>()).Which.Errors.Should().ContainKey("secret");
    }

    private static WebhookSubscriptionDefinition Valid() => new() { Name = "hook", Url = "https://example.com/hooks", Events = ["order.created"] };
}
