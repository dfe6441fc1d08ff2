using Webhooks.Core;
using Webhooks.Core.Catalog;
using Webhooks.Core.Subscriptions;
using Xunit;

namespace Webhooks.Testing;

/// <summary>
/// The contract of <see cref="IWebhookSubscriptionStore"/> as tests. Derive a class in your test
/// project, return your store from <see cref="StoreConformanceTests{TStore}.CreateStoreAsync"/>, and every test here runs
/// against it: round-trips, name uniqueness per owner, optimistic concurrency (also under
/// concurrent writers), owner scoping, and the event-pattern lookup the publisher depends on.
/// </summary>
/// <remarks>
/// Timestamps in these tests are whole milliseconds in UTC, so stores that keep microseconds
/// (PostgreSQL) compare equal. Tests of one class run one after another.
/// </remarks>
public abstract class SubscriptionStoreConformanceTests : StoreConformanceTests<IWebhookSubscriptionStore>
{
    private int _ids;

    /// <summary>Every field survives a create and a get, and the stored version is 1.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Create_ThenGet_RoundTripsEveryFieldWithVersion1()
    {
        var subscription = NewSubscription("tenant-1", "orders", ["order.created", "invoice.*"]) with
        {
            Description = "Ships orders to the warehouse. Ünïcödé ✓",
            Secrets = [new WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), new WebhookSecret("whsec_Z3JlYXRzZWNyZXRncmVhdHNlY3JldGdyZWF0", T0.AddHours(24))],
            SignatureScheme = "hmac-sha256-hex",
            Auth = WebhookAuth.Basic("shipper", "p@ss:word"),
            Headers = new Dictionary<string, string> { ["X-Team"] = "fulfilment", ["X-Region"] = "eu" },
            Metadata = new Dictionary<string, string> { ["plan"] = "gold", ["empty"] = "" },
            Filter = new Dictionary<string, IReadOnlyList<string>> { ["severity"] = ["error", "critical"], ["version"] = ["v1"] },
            Active = false,
            DisabledReason = "The receiver answered 410 Gone.",
            CreatedAt = T0,
            UpdatedAt = T0.AddMinutes(5),
            Version = 42,
        };

        var created = await Store.CreateAsync(subscription, default);
        var read = await Store.GetAsync(subscription.Id, default);

        Assert.Equal(1, created.Version);
        AssertSame(subscription with { Version = 1 }, created);
        Assert.NotNull(read);
        AssertSame(subscription with { Version = 1 }, read);
    }

    /// <summary>Each auth kind round-trips.</summary>
    /// <param name="kind">The auth kind.</param>
    /// <returns>A task.</returns>
    [Theory]
    [InlineData(WebhookAuthKind.None)]
    [InlineData(WebhookAuthKind.Basic)]
    [InlineData(WebhookAuthKind.Bearer)]
    [InlineData(WebhookAuthKind.ApiKey)]
    public async Task Create_EachAuthKind_RoundTrips(WebhookAuthKind kind)
    {
        var auth = kind switch
        {
            WebhookAuthKind.Basic => WebhookAuth.Basic("user", "secret"),
            WebhookAuthKind.Bearer => WebhookAuth.Bearer("token-123"),
            WebhookAuthKind.ApiKey => WebhookAuth.ApiKey("X-Api-Key", "key-456"),
            _ => WebhookAuth.None,
        };
        var subscription = NewSubscription(null, "auth-" + kind, ["*"]) with { Auth = auth };

        await Store.CreateAsync(subscription, default);

        Assert.Equal(auth, (await Store.GetAsync(subscription.Id, default))!.Auth);
    }

    /// <summary>A missing id reads as null.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Get_UnknownId_ReturnsNull()
    {
        Assert.Null(await Store.GetAsync("sub_does_not_exist", default));
    }

    /// <summary>Names are unique per owner.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Create_NameTakenBySameOwner_ThrowsConflict()
    {
        await Store.CreateAsync(NewSubscription("tenant-1", "orders", ["order.created"]), default);

        await Assert.ThrowsAsync<WebhookConflictException>(() => Store.CreateAsync(NewSubscription("tenant-1", "orders", ["order.updated"]), default));
        var page = await Store.ListAsync(new WebhookSubscriptionQuery("tenant-1"), default);
        Assert.Single(page.Items);
    }

    /// <summary>The same name is free for another owner, and for app-level (ownerless) subscriptions.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Create_SameNameOtherOwner_Succeeds()
    {
        await Store.CreateAsync(NewSubscription("tenant-1", "orders", ["order.created"]), default);
        await Store.CreateAsync(NewSubscription("tenant-2", "orders", ["order.created"]), default);
        await Store.CreateAsync(NewSubscription(null, "orders", ["order.created"]), default);

        Assert.Single((await Store.ListAsync(new WebhookSubscriptionQuery("tenant-2"), default)).Items);
        Assert.Single((await Store.ListAsync(new WebhookSubscriptionQuery(null), default)).Items);
    }

    /// <summary>A second subscription with an existing id is refused, not merged or overwritten.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Create_ExistingId_ThrowsConflictAndKeepsOriginal()
    {
        var original = NewSubscription("tenant-1", "first", ["order.created"]);
        await Store.CreateAsync(original, default);

        await Assert.ThrowsAsync<WebhookConflictException>(() => Store.CreateAsync(original with { Name = "second" }, default));
        Assert.Equal("first", (await Store.GetAsync(original.Id, default))!.Name);
    }

    /// <summary>Concurrent creates of the same name: exactly one wins.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Create_ConcurrentSameName_ExactlyOneSucceeds()
    {
        var attempts = Enumerable.Range(0, 8).Select(_ => NewSubscription("tenant-1", "race", ["order.created"])).ToArray();

        var results = await Task.WhenAll(attempts.Select(async s =>
        {
            await Task.Yield();
            try
            {
                await Store.CreateAsync(s, default).ConfigureAwait(false);
                return true;
            }
            catch (WebhookConflictException)
            {
                return false;
            }
        }));

        Assert.Equal(1, results.Count(ok => ok));
        Assert.Single((await Store.ListAsync(new WebhookSubscriptionQuery("tenant-1"), default)).Items);
    }

    /// <summary>Listing returns only the owner's subscriptions, in id order, each once across pages.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task List_PagesThroughOwnersSubscriptionsInIdOrder()
    {
        var mine = new List<string>();
        for (int i = 0; i < 7; i++)
        {
            mine.Add((await Store.CreateAsync(NewSubscription("tenant-1", "mine-" + i, ["order.created"]), default)).Id);
            await Store.CreateAsync(NewSubscription("tenant-2", "theirs-" + i, ["order.created"]), default);
        }

        await Store.CreateAsync(NewSubscription(null, "app-level", ["order.created"]), default);

        var seen = new List<string>();
        string? cursor = null;
        int pages = 0;
        do
        {
            var page = await Store.ListAsync(new WebhookSubscriptionQuery("tenant-1", Limit: 3, Cursor: cursor), default);
            Assert.True(page.Items.Count <= 3, "A page holds at most Limit items.");
            Assert.All(page.Items, s => Assert.Equal("tenant-1", s.Owner));
            seen.AddRange(page.Items.Select(s => s.Id));
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null && pages < 10);

        Assert.Equal(mine.Order(StringComparer.Ordinal), seen);
        Assert.Equal(3, pages);
        var ownerless = await Store.ListAsync(new WebhookSubscriptionQuery(null), default);
        Assert.Equal(["app-level"], ownerless.Items.Select(s => s.Name));
        Assert.Null(ownerless.NextCursor);
    }

    /// <summary>A page that exactly fills the limit and is the last has no next cursor, or a cursor that leads to an empty page.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task List_ExactlyLimitItems_EndsCleanly()
    {
        for (int i = 0; i < 4; i++)
        {
            await Store.CreateAsync(NewSubscription("tenant-1", "s" + i, ["order.created"]), default);
        }

        var first = await Store.ListAsync(new WebhookSubscriptionQuery("tenant-1", Limit: 4), default);

        Assert.Equal(4, first.Items.Count);
        if (first.NextCursor is not null)
        {
            var rest = await Store.ListAsync(new WebhookSubscriptionQuery("tenant-1", Limit: 4, Cursor: first.NextCursor), default);
            Assert.Empty(rest.Items);
            Assert.Null(rest.NextCursor);
        }
    }

    /// <summary>The event filter matches a listed entry exactly (a pattern is not expanded); the active filter splits active from inactive.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task List_EventAndActiveFilters_MatchExactly()
    {
        var a = await Store.CreateAsync(NewSubscription("tenant-1", "a", ["order.created", "invoice.paid"]), default);
        var b = await Store.CreateAsync(NewSubscription("tenant-1", "b", ["order.*"]) with { Active = false }, default);
        var c = await Store.CreateAsync(NewSubscription("tenant-1", "c", ["invoice.paid"]), default);

        var created = await Store.ListAsync(new WebhookSubscriptionQuery("tenant-1", Event: "order.created"), default);
        var wildcard = await Store.ListAsync(new WebhookSubscriptionQuery("tenant-1", Event: "order.*"), default);
        var paid = await Store.ListAsync(new WebhookSubscriptionQuery("tenant-1", Event: "invoice.paid"), default);
        var inactive = await Store.ListAsync(new WebhookSubscriptionQuery("tenant-1", Active: false), default);
        var activePaid = await Store.ListAsync(new WebhookSubscriptionQuery("tenant-1", Event: "invoice.paid", Active: true), default);

        Assert.Equal([a.Id], created.Items.Select(s => s.Id));
        Assert.Equal([b.Id], wildcard.Items.Select(s => s.Id));
        Assert.Equal(new[] { a.Id, c.Id }.Order(StringComparer.Ordinal), paid.Items.Select(s => s.Id));
        Assert.Equal([b.Id], inactive.Items.Select(s => s.Id));
        Assert.Equal(new[] { a.Id, c.Id }.Order(StringComparer.Ordinal), activePaid.Items.Select(s => s.Id));
    }

    /// <summary>An event reaches subscriptions listing its name, <c>*</c>, any dotted prefix with <c>.*</c>, or its group with <c>.*</c>.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task FindForEvent_MatchesNameWildcardsPrefixesAndGroup()
    {
        var exact = await Store.CreateAsync(NewSubscription("t", "exact", ["task.status.updated"]), default);
        var all = await Store.CreateAsync(NewSubscription("t", "all", ["*"]), default);
        var top = await Store.CreateAsync(NewSubscription("t", "top", ["task.*"]), default);
        var nested = await Store.CreateAsync(NewSubscription("t", "nested", ["task.status.*"]), default);
        var group = await Store.CreateAsync(NewSubscription("t", "group", ["board.*"]), default);
        await Store.CreateAsync(NewSubscription("t", "sibling", ["task.created"]), default);
        await Store.CreateAsync(NewSubscription("t", "partial", ["task.stat*"]), default);
        await Store.CreateAsync(NewSubscription("t", "other-prefix", ["tasks.*"]), default);
        await Store.CreateAsync(NewSubscription("t", "deeper", ["task.status.updated.*"]), default);

        var found = await Store.FindForEventAsync("t", new WebhookEventType("task.status.updated") { Group = "board" }, default);

        Assert.Equal(
            new[] { exact.Id, all.Id, top.Id, nested.Id, group.Id }.Order(StringComparer.Ordinal),
            found.Select(s => s.Id).Order(StringComparer.Ordinal));
    }

    /// <summary>A subscription listing several matching patterns is returned once.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task FindForEvent_SeveralMatchingPatterns_ReturnsSubscriptionOnce()
    {
        var s = await Store.CreateAsync(NewSubscription("t", "greedy", ["order.created", "order.*", "*"]), default);

        var found = await Store.FindForEventAsync("t", new WebhookEventType("order.created"), default);

        Assert.Equal([s.Id], found.Select(x => x.Id));
    }

    /// <summary>Only the publishing owner's active subscriptions are found; a null owner finds only ownerless ones.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task FindForEvent_ScopesToOwnerAndSkipsInactive()
    {
        var mine = await Store.CreateAsync(NewSubscription("tenant-1", "mine", ["order.created"]), default);
        await Store.CreateAsync(NewSubscription("tenant-1", "off", ["order.created"]) with { Active = false }, default);
        var theirs = await Store.CreateAsync(NewSubscription("tenant-2", "theirs", ["order.created"]), default);
        var app = await Store.CreateAsync(NewSubscription(null, "app", ["order.created"]), default);
        var type = new WebhookEventType("order.created");

        Assert.Equal([mine.Id], (await Store.FindForEventAsync("tenant-1", type, default)).Select(s => s.Id));
        Assert.Equal([theirs.Id], (await Store.FindForEventAsync("tenant-2", type, default)).Select(s => s.Id));
        Assert.Equal([app.Id], (await Store.FindForEventAsync(null, type, default)).Select(s => s.Id));
        Assert.Empty(await Store.FindForEventAsync("tenant-3", type, default));
    }

    /// <summary>The lookup follows updates (events changed, deactivated) and deletes.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task FindForEvent_FollowsUpdatesAndDeletes()
    {
        var created = new WebhookEventType("order.created");
        var shipped = new WebhookEventType("order.shipped");
        var s = await Store.CreateAsync(NewSubscription("t", "s", ["order.created"]), default);

        var moved = await Store.UpdateAsync(s with { Events = ["order.shipped"] }, default);
        Assert.Empty(await Store.FindForEventAsync("t", created, default));
        Assert.Equal([s.Id], (await Store.FindForEventAsync("t", shipped, default)).Select(x => x.Id));

        var off = await Store.UpdateAsync(moved! with { Active = false }, default);
        Assert.Empty(await Store.FindForEventAsync("t", shipped, default));

        await Store.UpdateAsync(off! with { Active = true }, default);
        Assert.Single(await Store.FindForEventAsync("t", shipped, default));

        Assert.True(await Store.DeleteAsync(s.Id, default));
        Assert.Empty(await Store.FindForEventAsync("t", shipped, default));
    }

    /// <summary>The lookup returns the full subscription (what the dispatcher and publisher use).</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task FindForEvent_ReturnsFullSubscriptions()
    {
        var s = NewSubscription("t", "full", ["order.created"]) with
        {
            Auth = WebhookAuth.Bearer("tok"),
            Headers = new Dictionary<string, string> { ["X-A"] = "1" },
            Description = "d",
        };
        await Store.CreateAsync(s, default);

        var found = Assert.Single(await Store.FindForEventAsync("t", new WebhookEventType("order.created"), default));

        AssertSame(s with { Version = 1 }, found);
    }

    /// <summary>An update at the stored version is stored with the next version.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Update_AtCurrentVersion_StoresChangeWithNextVersion()
    {
        var s = await Store.CreateAsync(NewSubscription("t", "before", ["order.created"]), default);
        var change = s with
        {
            Name = "after",
            Url = "https://example.com/changed",
            Events = ["order.updated", "order.deleted"],
            Description = "changed",
            Secrets = [new WebhookSecret("whsec_TmV3U2VjcmV0TmV3U2VjcmV0TmV3U2VjcmV0"), new WebhookSecret(s.Secrets[0].Value, T0.AddDays(1))],
            Auth = WebhookAuth.ApiKey("X-Key", "k"),
            Headers = new Dictionary<string, string> { ["X-New"] = "yes" },
            Metadata = new Dictionary<string, string> { ["k"] = "v" },
            Active = false,
            DisabledReason = "Failing since yesterday.",
            UpdatedAt = T0.AddHours(1),
        };

        var updated = await Store.UpdateAsync(change, default);
        var read = await Store.GetAsync(s.Id, default);

        Assert.NotNull(updated);
        AssertSame(change with { Version = 2 }, updated);
        AssertSame(change with { Version = 2 }, read!);
        var third = await Store.UpdateAsync(read! with { Description = "third" }, default);
        Assert.Equal(3, third!.Version);
    }

    /// <summary>An update based on an older version is refused with the versions involved.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Update_StaleVersion_ThrowsConcurrencyAndKeepsStoredState()
    {
        var s = await Store.CreateAsync(NewSubscription("t", "s", ["order.created"]), default);
        await Store.UpdateAsync(s with { Description = "first writer" }, default);

        var ex = await Assert.ThrowsAsync<WebhookConcurrencyException>(() => Store.UpdateAsync(s with { Description = "second writer" }, default));

        Assert.Equal(s.Id, ex.SubscriptionId);
        Assert.Equal(1, ex.ExpectedVersion);
        Assert.Equal(2, ex.ActualVersion);
        var stored = await Store.GetAsync(s.Id, default);
        Assert.Equal("first writer", stored!.Description);
        Assert.Equal(2, stored.Version);
    }

    /// <summary>Concurrent updates at the same version: exactly one wins, the others get a concurrency error.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Update_ConcurrentWritersAtSameVersion_ExactlyOneWins()
    {
        var s = await Store.CreateAsync(NewSubscription("t", "s", ["order.created"]), default);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            await Task.Yield();
            try
            {
                return await Store.UpdateAsync(s with { Description = "writer " + i }, default).ConfigureAwait(false) is not null;
            }
            catch (WebhookConcurrencyException)
            {
                return false;
            }
        }));

        Assert.Equal(1, outcomes.Count(ok => ok));
        Assert.Equal(2, (await Store.GetAsync(s.Id, default))!.Version);
    }

    /// <summary>Updating a deleted or unknown subscription returns null.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Update_Missing_ReturnsNull()
    {
        var s = NewSubscription("t", "ghost", ["order.created"]) with { Version = 1 };

        Assert.Null(await Store.UpdateAsync(s, default));
        Assert.Null(await Store.GetAsync(s.Id, default));
    }

    /// <summary>Renaming onto another of the owner's names is a conflict; keeping one's own name is not.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Update_NameTakenByAnother_ThrowsConflict()
    {
        await Store.CreateAsync(NewSubscription("t", "taken", ["order.created"]), default);
        var s = await Store.CreateAsync(NewSubscription("t", "mine", ["order.created"]), default);
        await Store.CreateAsync(NewSubscription("other", "free-elsewhere", ["order.created"]), default);

        await Assert.ThrowsAsync<WebhookConflictException>(() => Store.UpdateAsync(s with { Name = "taken" }, default));
        var same = await Store.UpdateAsync(s with { Description = "kept my name" }, default);
        var renamed = await Store.UpdateAsync(same! with { Name = "free-elsewhere" }, default);

        Assert.Equal("free-elsewhere", renamed!.Name);
        Assert.Equal(3, renamed.Version);
    }

    /// <summary>Deleting reports whether the subscription existed and frees its name.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Delete_RemovesAndFreesName()
    {
        var s = await Store.CreateAsync(NewSubscription("t", "s", ["order.created"]), default);

        Assert.True(await Store.DeleteAsync(s.Id, default));
        Assert.False(await Store.DeleteAsync(s.Id, default));
        Assert.Null(await Store.GetAsync(s.Id, default));
        Assert.Empty((await Store.ListAsync(new WebhookSubscriptionQuery("t"), default)).Items);
        var again = await Store.CreateAsync(NewSubscription("t", "s", ["order.created"]), default);
        Assert.Equal(1, again.Version);
    }

    /// <summary>Builds a valid subscription with a fresh id that sorts after the previous one.</summary>
    /// <param name="owner">The owner.</param>
    /// <param name="name">The name.</param>
    /// <param name="events">The event names and patterns.</param>
    /// <returns>The subscription (not stored).</returns>
    protected WebhookSubscription NewSubscription(string? owner, string name, IReadOnlyList<string> events) => new()
    {
        Id = $"sub_{Interlocked.Increment(ref _ids):D6}{Guid.NewGuid():N}",
        Owner = owner,
        Name = name,
        Url = "https://example.com/hooks/" + name,
        Events = events,
        Secrets = [new WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")],
        CreatedAt = T0,
        UpdatedAt = T0,
        Version = 1,
    };

    /// <summary>Asserts two subscriptions hold the same data (collections compared by content).</summary>
    /// <param name="expected">The expected state.</param>
    /// <param name="actual">The state read back.</param>
    protected static void AssertSame(WebhookSubscription expected, WebhookSubscription? actual)
    {
        ArgumentNullException.ThrowIfNull(expected);
        Assert.NotNull(actual);
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Owner, actual.Owner);
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.Url, actual.Url);
        Assert.Equal(expected.Events, actual.Events);
        Assert.Equal(expected.Description, actual.Description);
        Assert.Equal(expected.Secrets, actual.Secrets);
        Assert.Equal(expected.SignatureScheme, actual.SignatureScheme);
        Assert.Equal(expected.Auth, actual.Auth);
        Assert.Equal(expected.Headers.OrderBy(h => h.Key, StringComparer.Ordinal), actual.Headers.OrderBy(h => h.Key, StringComparer.Ordinal));
        Assert.Equal(expected.Metadata.OrderBy(h => h.Key, StringComparer.Ordinal), actual.Metadata.OrderBy(h => h.Key, StringComparer.Ordinal));
        Assert.Equal(
            expected.Filter.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => f.Key + "=" + string.Join(",", f.Value)),
            actual.Filter.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => f.Key + "=" + string.Join(",", f.Value)));
        Assert.Equal(expected.Active, actual.Active);
        Assert.Equal(expected.DisabledReason, actual.DisabledReason);
        Assert.Equal(expected.CreatedAt, actual.CreatedAt);
        Assert.Equal(expected.UpdatedAt, actual.UpdatedAt);
        Assert.Equal(expected.Version, actual.Version);
    }
}
