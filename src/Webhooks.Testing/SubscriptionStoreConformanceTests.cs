using System.Collections.Concurrent;
using System.Diagnostics;
using Webhooks.Abstractions;
using Webhooks.Abstractions.Subscriptions;
using Xunit;

namespace Webhooks.Testing;

/// <summary>
/// The contract of <see cref="IWebhookSubscriptionStore"/> as tests. Derive a class in your test
/// project, return an empty store from <see cref="StoreConformanceTests{TStore}.CreateStoreAsync"/>,
/// and every test here runs against it: every field kept exactly, names unique per owner, lists in
/// id order with cursors, owner isolation, the event-pattern lookup the publisher depends on, and
/// optimistic concurrency on update and delete (also under concurrent writers, where a store that
/// checks the version and writes in two steps loses updates).
/// </summary>
/// <remarks>
/// A subscription store only stores: the engine validates, protects secrets and tracks health
/// before a store sees a subscription, so these tests hand it values it must keep as given
/// (secrets included) and never expect it to judge them. Timestamps are whole milliseconds in
/// UTC, so stores that keep microseconds compare equal.
/// </remarks>
public abstract class SubscriptionStoreConformanceTests : StoreConformanceTests<IWebhookSubscriptionStore>
{
    private const string Secret1 = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string Secret2 = "whsec_Z3JlYXRzZWNyZXRncmVhdHNlY3JldGdyZWF0";

    /// <summary>
    /// Rule: a store keeps every field exactly as given (collections, nested auth, several secrets
    /// with their expiry, health and disabled state) and returns them from create and get; the
    /// version it returns is 1 whatever the caller passed.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Create_ThenGet_RoundTripsEveryFieldWithVersion1()
    {
        var subscription = FullSubscription("tenant-1", "orders") with { Version = 42 };

        var created = await Store.CreateAsync(subscription, Cancellation);
        var read = await Store.GetAsync(subscription.Id, Cancellation);

        AssertSame(subscription with { Version = 1 }, created);
        AssertSame(subscription with { Version = 1 }, read);
    }

    /// <summary>Rule: each auth kind is kept with all of its values (user name, secret value, header name).</summary>
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
            WebhookAuthKind.Basic => WebhookAuth.Basic("user", "protected:secret"),
            WebhookAuthKind.Bearer => WebhookAuth.Bearer("token-123"),
            WebhookAuthKind.ApiKey => WebhookAuth.ApiKey("X-Api-Key", "key-456"),
            _ => WebhookAuth.None,
        };
        var subscription = NewSubscription(null, "auth-" + kind, ["*"]) with { Auth = auth };

        await Store.CreateAsync(subscription, Cancellation);

        Assert.Equal(auth, (await Store.GetAsync(subscription.Id, Cancellation))?.Auth);
    }

    /// <summary>
    /// Rule: the payload filter is kept as the text given, character for character: key order,
    /// number spelling and non-ASCII text included (a JSON column type that normalizes it, such as
    /// PostgreSQL's <c>jsonb</c>, would reorder the keys and rewrite <c>1e2</c>). It reads back from
    /// get, list and the publisher's lookup, is replaced by an update and cleared by one that sets
    /// <see langword="null"/>.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Create_PayloadFilter_KeptAsGivenAndClearedByUpdate()
    {
        const string Filter = """{"data.zeta":{"$gte":1e2,"$lt":100.50},"data.a":"Ünïcödé ✓ \"q\"","$or":[{"type":"order.created"},{"data.tags":{"$in":["vip",7,true,null]}}]}""";
        const string Other = """{"data.priority":"high"}""";
        var s = await Store.CreateAsync(NewSubscription("t", "filtered", ["order.created"]) with { PayloadFilter = Filter }, Cancellation);

        Assert.Equal(Filter, s.PayloadFilter);
        Assert.Equal(Filter, (await Store.GetAsync(s.Id, Cancellation))?.PayloadFilter);
        Assert.Equal(Filter, Assert.Single((await Store.ListAsync(new WebhookSubscriptionQuery("t"), Cancellation)).Items).PayloadFilter);
        Assert.Equal(Filter, Assert.Single(await Store.FindForEventAsync("t", ["order.created"], null, Cancellation)).PayloadFilter);

        var changed = await Store.UpdateAsync(s with { PayloadFilter = Other }, Cancellation);
        Assert.Equal(Other, changed?.PayloadFilter);
        Assert.Equal(Other, (await Store.GetAsync(s.Id, Cancellation))?.PayloadFilter);

        await Store.UpdateAsync(changed! with { PayloadFilter = null }, Cancellation);
        Assert.Null((await Store.GetAsync(s.Id, Cancellation))?.PayloadFilter);
    }

    /// <summary>Rule: an id nobody has reads as <see langword="null"/>, not as an error.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Get_UnknownId_ReturnsNull()
    {
        Assert.Null(await Store.GetAsync(WebhookIds.New(WebhookIds.SubscriptionPrefix, T0), Cancellation));
    }

    /// <summary>Rule: names are unique per owner: a second subscription of the same owner with the same name is refused with <see cref="WebhookConflictException"/> and not stored.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Create_NameTakenBySameOwner_ThrowsConflict()
    {
        await Store.CreateAsync(NewSubscription("tenant-1", "orders", ["order.created"]), Cancellation);

        await Assert.ThrowsAsync<WebhookConflictException>(() => Store.CreateAsync(NewSubscription("tenant-1", "orders", ["order.updated"]), Cancellation));
        Assert.Single((await Store.ListAsync(new WebhookSubscriptionQuery("tenant-1"), Cancellation)).Items);
    }

    /// <summary>Rule: names compare ordinally and case-sensitively: "Orders" and "orders" are two names.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Create_NameDiffersOnlyInCase_IsAnotherName()
    {
        await Store.CreateAsync(NewSubscription("tenant-1", "orders", ["order.created"]), Cancellation);
        await Store.CreateAsync(NewSubscription("tenant-1", "Orders", ["order.created"]), Cancellation);

        Assert.Equal(2, (await Store.ListAsync(new WebhookSubscriptionQuery("tenant-1"), Cancellation)).Items.Count);
    }

    /// <summary>Rule: the same name is free for another owner, and for app-level (ownerless) subscriptions.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Create_SameNameOtherOwner_Succeeds()
    {
        await Store.CreateAsync(NewSubscription("tenant-1", "orders", ["order.created"]), Cancellation);
        await Store.CreateAsync(NewSubscription("tenant-2", "orders", ["order.created"]), Cancellation);
        await Store.CreateAsync(NewSubscription(null, "orders", ["order.created"]), Cancellation);

        Assert.Single((await Store.ListAsync(new WebhookSubscriptionQuery("tenant-2"), Cancellation)).Items);
        Assert.Single((await Store.ListAsync(new WebhookSubscriptionQuery(null), Cancellation)).Items);
    }

    /// <summary>Rule: a second subscription with an id already stored is refused with <see cref="WebhookConflictException"/>, never merged or overwritten.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Create_ExistingId_ThrowsConflictAndKeepsOriginal()
    {
        var original = NewSubscription("tenant-1", "first", ["order.created"]);
        await Store.CreateAsync(original, Cancellation);

        await Assert.ThrowsAsync<WebhookConflictException>(() => Store.CreateAsync(original with { Name = "second" }, Cancellation));
        Assert.Equal("first", (await Store.GetAsync(original.Id, Cancellation))?.Name);
    }

    /// <summary>Rule: name uniqueness holds under concurrency: of several concurrent creates with one name and owner, exactly one is stored, the others get <see cref="WebhookConflictException"/>.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Create_ConcurrentSameName_ExactlyOneSucceeds()
    {
        var attempts = Enumerable.Range(0, 8).Select(_ => NewSubscription("tenant-1", "race", ["order.created"])).ToArray();

        var results = await RunConcurrentlyAsync(attempts.Length, async i =>
        {
            try
            {
                await Store.CreateAsync(attempts[i], Cancellation).ConfigureAwait(false);
                return true;
            }
            catch (WebhookConflictException)
            {
                return false;
            }
        });

        Assert.True(results.Count(ok => ok) == 1, $"Names are unique per owner: {results.Count(ok => ok)} of {results.Length} concurrent creates of one name were stored; exactly one may be.");
        Assert.Single((await Store.ListAsync(new WebhookSubscriptionQuery("tenant-1"), Cancellation)).Items);
    }

    /// <summary>
    /// Rule: a list holds only the owner's subscriptions (a <see langword="null"/> owner lists only
    /// ownerless ones), in ordinal id order, at most <c>Limit</c> per page; following each page's
    /// cursor visits every one exactly once and ends with a <see langword="null"/> cursor.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task List_PagesThroughOwnersSubscriptionsInIdOrder()
    {
        var mine = new List<string>();
        for (int i = 0; i < 7; i++)
        {
            mine.Add((await Store.CreateAsync(NewSubscription("tenant-1", "mine-" + i, ["order.created"]), Cancellation)).Id);
            await Store.CreateAsync(NewSubscription("tenant-2", "theirs-" + i, ["order.created"]), Cancellation);
        }

        await Store.CreateAsync(NewSubscription(null, "app-level", ["order.created"]), Cancellation);

        var seen = new List<string>();
        string? cursor = null;
        int pages = 0;
        do
        {
            var page = await Store.ListAsync(new WebhookSubscriptionQuery("tenant-1", Limit: 3, Cursor: cursor), Cancellation);
            Assert.True(page.Items.Count <= 3, "A page holds at most Limit items.");
            Assert.All(page.Items, s => Assert.Equal("tenant-1", s.Owner));
            seen.AddRange(page.Items.Select(s => s.Id));
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null && pages < 10);

        Assert.Equal(mine.Order(StringComparer.Ordinal), seen);
        Assert.Equal(3, pages);
        var ownerless = await Store.ListAsync(new WebhookSubscriptionQuery(null), Cancellation);
        Assert.Equal(["app-level"], ownerless.Items.Select(s => s.Name));
        Assert.Null(ownerless.NextCursor);
        Assert.Empty((await Store.ListAsync(new WebhookSubscriptionQuery("tenant-3"), Cancellation)).Items);
    }

    /// <summary>Rule: a last page that exactly fills the limit has no next cursor, or one that leads to an empty page without a cursor.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task List_ExactlyLimitItems_EndsCleanly()
    {
        for (int i = 0; i < 4; i++)
        {
            await Store.CreateAsync(NewSubscription("tenant-1", "s" + i, ["order.created"]), Cancellation);
        }

        var first = await Store.ListAsync(new WebhookSubscriptionQuery("tenant-1", Limit: 4), Cancellation);

        Assert.Equal(4, first.Items.Count);
        if (first.NextCursor is not null)
        {
            var rest = await Store.ListAsync(new WebhookSubscriptionQuery("tenant-1", Limit: 4, Cursor: first.NextCursor), Cancellation);
            Assert.Empty(rest.Items);
            Assert.Null(rest.NextCursor);
        }
    }

    /// <summary>
    /// Rule: a cursor is an id to compare with, not a position: the next page holds the ids after
    /// it, even when the subscription it names was deleted in between.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task List_CursorOfDeletedSubscription_ContinuesAfterIt()
    {
        var ids = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            ids.Add((await Store.CreateAsync(NewSubscription("tenant-1", "s" + i, ["order.created"]), Cancellation)).Id);
        }

        ids.Sort(StringComparer.Ordinal);
        var first = await Store.ListAsync(new WebhookSubscriptionQuery("tenant-1", Limit: 2), Cancellation);
        Assert.Equal(ids[1], first.NextCursor);
        Assert.True(await Store.DeleteAsync(ids[1], null, Cancellation));

        var next = await Store.ListAsync(new WebhookSubscriptionQuery("tenant-1", Limit: 10, Cursor: first.NextCursor), Cancellation);

        Assert.Equal(ids.Skip(2), next.Items.Select(s => s.Id));
    }

    /// <summary>
    /// Rule: the event filter matches a listed entry exactly (a pattern is a string to compare, not
    /// expanded); the active filter splits active from inactive; both combine.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task List_EventAndActiveFilters_MatchExactly()
    {
        var a = await Store.CreateAsync(NewSubscription("tenant-1", "a", ["order.created", "invoice.paid"]), Cancellation);
        var b = await Store.CreateAsync(NewSubscription("tenant-1", "b", ["order.*"]) with { Active = false }, Cancellation);
        var c = await Store.CreateAsync(NewSubscription("tenant-1", "c", ["invoice.paid"]), Cancellation);
        await Store.CreateAsync(NewSubscription("tenant-2", "d", ["invoice.paid"]), Cancellation);

        var created = await Store.ListAsync(new WebhookSubscriptionQuery("tenant-1", Event: "order.created"), Cancellation);
        var wildcard = await Store.ListAsync(new WebhookSubscriptionQuery("tenant-1", Event: "order.*"), Cancellation);
        var paid = await Store.ListAsync(new WebhookSubscriptionQuery("tenant-1", Event: "invoice.paid"), Cancellation);
        var inactive = await Store.ListAsync(new WebhookSubscriptionQuery("tenant-1", Active: false), Cancellation);
        var activePaid = await Store.ListAsync(new WebhookSubscriptionQuery("tenant-1", Event: "invoice.paid", Active: true), Cancellation);
        var inactivePaid = await Store.ListAsync(new WebhookSubscriptionQuery("tenant-1", Event: "invoice.paid", Active: false), Cancellation);

        Assert.Equal([a.Id], created.Items.Select(s => s.Id));
        Assert.Equal([b.Id], wildcard.Items.Select(s => s.Id));
        Assert.Equal(new[] { a.Id, c.Id }.Order(StringComparer.Ordinal), paid.Items.Select(s => s.Id));
        Assert.Equal([b.Id], inactive.Items.Select(s => s.Id));
        Assert.Equal(new[] { a.Id, c.Id }.Order(StringComparer.Ordinal), activePaid.Items.Select(s => s.Id));
        Assert.Empty(inactivePaid.Items);
    }

    /// <summary>
    /// Rule: <see cref="IWebhookSubscriptionStore.FindForEventAsync"/> returns the subscriptions
    /// listing any of the given patterns exactly; the engine expands the event into its name and
    /// wildcards, so the store never matches by prefix or wildcard itself.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task FindForEvent_MatchesListedPatternsExactly()
    {
        var exact = await Store.CreateAsync(NewSubscription("t", "exact", ["task.status.updated"]), Cancellation);
        var all = await Store.CreateAsync(NewSubscription("t", "all", ["*"]), Cancellation);
        var top = await Store.CreateAsync(NewSubscription("t", "top", ["task.*"]), Cancellation);
        var nested = await Store.CreateAsync(NewSubscription("t", "nested", ["other.event", "task.status.*"]), Cancellation);
        var group = await Store.CreateAsync(NewSubscription("t", "group", ["board.*"]), Cancellation);
        await Store.CreateAsync(NewSubscription("t", "sibling", ["task.created"]), Cancellation);
        await Store.CreateAsync(NewSubscription("t", "partial", ["task.stat*"]), Cancellation);
        await Store.CreateAsync(NewSubscription("t", "other-prefix", ["tasks.*"]), Cancellation);
        await Store.CreateAsync(NewSubscription("t", "deeper", ["task.status.updated.*"]), Cancellation);
        await Store.CreateAsync(NewSubscription("t", "case", ["Task.Status.Updated"]), Cancellation);

        var found = await Store.FindForEventAsync("t", ["task.status.updated", "task.status.*", "task.*", "*", "board.*"], null, Cancellation);

        Assert.Equal(
            new[] { exact.Id, all.Id, top.Id, nested.Id, group.Id }.Order(StringComparer.Ordinal),
            found.Select(s => s.Id).Order(StringComparer.Ordinal));
    }

    /// <summary>Rule: a subscription listing several of the patterns is returned once.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task FindForEvent_SeveralMatchingPatterns_ReturnsSubscriptionOnce()
    {
        var s = await Store.CreateAsync(NewSubscription("t", "greedy", ["order.created", "order.*", "*"]), Cancellation);

        var found = await Store.FindForEventAsync("t", ["order.created", "order.*", "*"], null, Cancellation);

        Assert.Equal([s.Id], found.Select(x => x.Id));
    }

    /// <summary>
    /// Rule: only the publishing owner's active subscriptions are found (a publish never reaches
    /// another tenant); a <see langword="null"/> owner finds only ownerless subscriptions.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task FindForEvent_ScopesToOwnerAndSkipsInactive()
    {
        var mine = await Store.CreateAsync(NewSubscription("tenant-1", "mine", ["order.created"]), Cancellation);
        await Store.CreateAsync(NewSubscription("tenant-1", "off", ["order.created"]) with { Active = false }, Cancellation);
        var theirs = await Store.CreateAsync(NewSubscription("tenant-2", "theirs", ["order.created"]), Cancellation);
        var app = await Store.CreateAsync(NewSubscription(null, "app", ["order.created"]), Cancellation);
        string[] patterns = ["order.created", "*"];

        Assert.Equal([mine.Id], (await Store.FindForEventAsync("tenant-1", patterns, null, Cancellation)).Select(s => s.Id));
        Assert.Equal([theirs.Id], (await Store.FindForEventAsync("tenant-2", patterns, null, Cancellation)).Select(s => s.Id));
        Assert.Equal([app.Id], (await Store.FindForEventAsync(null, patterns, null, Cancellation)).Select(s => s.Id));
        Assert.Empty(await Store.FindForEventAsync("tenant-3", patterns, null, Cancellation));
    }

    /// <summary>Rule: the lookup follows every write at once: events changed, deactivated, reactivated, deleted.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task FindForEvent_FollowsUpdatesAndDeletes()
    {
        string[] created = ["order.created"];
        string[] shipped = ["order.shipped"];
        var s = await Store.CreateAsync(NewSubscription("t", "s", ["order.created"]), Cancellation);

        var moved = await Store.UpdateAsync(s with { Events = ["order.shipped"] }, Cancellation);
        Assert.Empty(await Store.FindForEventAsync("t", created, null, Cancellation));
        Assert.Equal([s.Id], (await Store.FindForEventAsync("t", shipped, null, Cancellation)).Select(x => x.Id));

        var off = await Store.UpdateAsync(moved! with { Active = false }, Cancellation);
        Assert.Empty(await Store.FindForEventAsync("t", shipped, null, Cancellation));

        var on = await Store.UpdateAsync(off! with { Active = true }, Cancellation);
        Assert.Single(await Store.FindForEventAsync("t", shipped, null, Cancellation));

        Assert.True(await Store.DeleteAsync(s.Id, on!.Version, Cancellation));
        Assert.Empty(await Store.FindForEventAsync("t", shipped, null, Cancellation));
    }

    /// <summary>Rule: the lookup returns whole subscriptions, every field as stored (the dispatcher signs and sends from them).</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task FindForEvent_ReturnsFullSubscriptions()
    {
        var s = FullSubscription("t", "full") with { Active = true, DisabledReason = null };
        await Store.CreateAsync(s, Cancellation);

        var found = Assert.Single(await Store.FindForEventAsync("t", ["order.created"], null, Cancellation));

        AssertSame(s with { Version = 1 }, found);
    }

    /// <summary>Rule: an update at the stored version replaces every field and is stored with the next version; each later update adds one.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Update_AtCurrentVersion_StoresChangeWithNextVersion()
    {
        var s = await Store.CreateAsync(NewSubscription("t", "before", ["order.created"]), Cancellation);
        var change = s with
        {
            Name = "after",
            Url = "https://example.com/changed",
            Events = ["order.updated", "order.deleted"],
            Description = "changed",
            Secrets = [new WebhookSecret(Secret2), new WebhookSecret(s.Secrets[0].Value, T0.AddDays(1))],
            SignatureScheme = "v1a",
            Auth = WebhookAuth.ApiKey("X-Key", "k"),
            Headers = new Dictionary<string, string> { ["X-New"] = "yes" },
            Metadata = new Dictionary<string, string> { ["k"] = "v" },
            Filter = new Dictionary<string, IReadOnlyList<string>> { ["region"] = ["eu"] },
            PayloadFilter = """{"data.region":{"$in":["eu","uk"]}}""",
            RateLimit = 25,
            Ordered = false,
            Active = false,
            DisabledReason = "Failing since yesterday.",
            FailingSince = T0.AddHours(-20),
            UpdatedAt = T0.AddHours(1),
        };

        var updated = await Store.UpdateAsync(change, Cancellation);
        var read = await Store.GetAsync(s.Id, Cancellation);

        AssertSame(change with { Version = 2 }, updated);
        AssertSame(change with { Version = 2 }, read);
        var third = await Store.UpdateAsync(read! with { Description = "third" }, Cancellation);
        Assert.Equal(3, third?.Version);
    }

    /// <summary>
    /// Rule: an update can clear what was set: a <see langword="null"/> or empty value in the new
    /// state is stored as such, never read as "keep the old one" (the engine clears
    /// <see cref="WebhookSubscription.FailingSince"/> and <see cref="WebhookSubscription.DisabledReason"/> this way).
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Update_NullAndEmptyValues_ClearStoredOnes()
    {
        var s = await Store.CreateAsync(FullSubscription("t", "full"), Cancellation);
        var cleared = s with
        {
            Description = null,
            Secrets = [new WebhookSecret(Secret1)],
            SignatureScheme = null,
            Auth = WebhookAuth.None,
            Headers = new Dictionary<string, string>(),
            Metadata = new Dictionary<string, string>(),
            Filter = new Dictionary<string, IReadOnlyList<string>>(),
            PayloadFilter = null,
            RateLimit = null,
            Ordered = false,
            Active = true,
            DisabledReason = null,
            FailingSince = null,
        };

        await Store.UpdateAsync(cleared, Cancellation);

        AssertSame(cleared with { Version = 2 }, await Store.GetAsync(s.Id, Cancellation));
    }

    /// <summary>Rule: the owner and creation time never change: an update carrying others keeps the stored ones (and returns them).</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Update_KeepsStoredOwnerAndCreatedAt()
    {
        var s = await Store.CreateAsync(NewSubscription("tenant-1", "mine", ["order.created"]), Cancellation);

        var updated = await Store.UpdateAsync(s with { Owner = "tenant-2", CreatedAt = T0.AddDays(3), Description = "moved?" }, Cancellation);
        var read = await Store.GetAsync(s.Id, Cancellation);

        Assert.Equal(("tenant-1", T0, "moved?"), (updated?.Owner, updated?.CreatedAt, updated?.Description));
        Assert.Equal(("tenant-1", T0, "moved?"), (read?.Owner, read?.CreatedAt, read?.Description));
        Assert.Single((await Store.ListAsync(new WebhookSubscriptionQuery("tenant-1"), Cancellation)).Items);
        Assert.Empty((await Store.ListAsync(new WebhookSubscriptionQuery("tenant-2"), Cancellation)).Items);
        Assert.Empty(await Store.FindForEventAsync("tenant-2", ["order.created"], null, Cancellation));
    }

    /// <summary>
    /// Rule: an update carrying an older version is refused with <see cref="WebhookConcurrencyException"/>
    /// naming the subscription and both versions, and the stored state is left as it was.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Update_StaleVersion_ThrowsConcurrencyAndKeepsStoredState()
    {
        var s = await Store.CreateAsync(NewSubscription("t", "s", ["order.created"]), Cancellation);
        await Store.UpdateAsync(s with { Description = "first writer" }, Cancellation);

        var ex = await Assert.ThrowsAsync<WebhookConcurrencyException>(() => Store.UpdateAsync(s with { Description = "second writer" }, Cancellation));

        Assert.Equal((s.Id, 1L, 2L), (ex.SubscriptionId, ex.ExpectedVersion, ex.ActualVersion));
        var stored = await Store.GetAsync(s.Id, Cancellation);
        Assert.Equal(("first writer", 2L), (stored?.Description, stored?.Version));
    }

    /// <summary>
    /// Rule (no lost updates): the version check and the write are one atomic step. In each of
    /// several rounds, many writers holding the same version update at the same moment: exactly
    /// one succeeds, every other gets <see cref="WebhookConcurrencyException"/>, the stored version
    /// grows by exactly one and holds the winner's change. A store that ignores the version, or
    /// reads it and writes in a second step, lets several writers "win" and fails here.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Update_ConcurrentWritersAtSameVersion_ExactlyOneWinsEveryRound()
    {
        const int Writers = 12;
        const int Rounds = 5;
        var current = await Store.CreateAsync(NewSubscription("t", "s", ["order.created"]), Cancellation);

        for (int round = 1; round <= Rounds; round++)
        {
            var held = current;
            var outcomes = await RunConcurrentlyAsync(Writers, async i =>
            {
                try
                {
                    return await Store.UpdateAsync(held with { Description = $"round {round} writer {i}" }, Cancellation).ConfigureAwait(false);
                }
                catch (WebhookConcurrencyException)
                {
                    return null;
                }
            });

            var winners = outcomes.Where(o => o is not null).ToList();
            Assert.True(winners.Count == 1, $"Lost update in round {round}: {winners.Count} of {Writers} writers holding version {held.Version} all succeeded; exactly one may (the others must get WebhookConcurrencyException). Compare the version and write in one atomic step.");
            var stored = await Store.GetAsync(held.Id, Cancellation);
            Assert.True(stored?.Version == held.Version + 1, $"Round {round}: after one winning update of version {held.Version} the stored version must be {held.Version + 1}, not {stored?.Version}.");
            Assert.Equal(winners[0]!.Description, stored!.Description);
            current = stored;
        }
    }

    /// <summary>Rule: updating a subscription that does not exist (deleted, or never created) returns <see langword="null"/> and creates nothing.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Update_Missing_ReturnsNull()
    {
        var s = NewSubscription("t", "ghost", ["order.created"]) with { Version = 1 };

        Assert.Null(await Store.UpdateAsync(s, Cancellation));
        Assert.Null(await Store.GetAsync(s.Id, Cancellation));
    }

    /// <summary>Rule: renaming onto a name another of the owner's subscriptions holds is a <see cref="WebhookConflictException"/>; keeping one's own name, or taking a name used only by another owner, is not.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Update_NameTakenByAnother_ThrowsConflict()
    {
        await Store.CreateAsync(NewSubscription("t", "taken", ["order.created"]), Cancellation);
        var s = await Store.CreateAsync(NewSubscription("t", "mine", ["order.created"]), Cancellation);
        await Store.CreateAsync(NewSubscription("other", "free-elsewhere", ["order.created"]), Cancellation);

        await Assert.ThrowsAsync<WebhookConflictException>(() => Store.UpdateAsync(s with { Name = "taken" }, Cancellation));
        var same = await Store.UpdateAsync(s with { Description = "kept my name" }, Cancellation);
        var renamed = await Store.UpdateAsync(same! with { Name = "free-elsewhere" }, Cancellation);

        Assert.Equal(("free-elsewhere", 3L), (renamed?.Name, renamed?.Version));
        Assert.Single((await Store.ListAsync(new WebhookSubscriptionQuery("t"), Cancellation)).Items, x => x.Name == "taken");
    }

    /// <summary>
    /// Rule: a write is atomic to readers: while a subscription is updated over and over, concurrent
    /// <see cref="IWebhookSubscriptionStore.GetAsync"/> and <see cref="IWebhookSubscriptionStore.FindForEventAsync"/>
    /// calls always find it (the dispatcher treats "missing" as "deleted" and fails the delivery).
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Update_ConcurrentReaders_NeverSeeItMissing()
    {
        const int MaxUpdates = 2000;
        const int MaxReads = 200_000;
        var s = await Store.CreateAsync(NewSubscription("t", "busy", ["order.created"]), Cancellation);
        var deadline = DeadlineAfter(TimeSpan.FromSeconds(1.5));
        var misses = new ConcurrentQueue<string>();
        int writing = 1;
        int updates = 0;

        var writer = Task.Run(async () =>
        {
            try
            {
                var current = s;
                while (updates < MaxUpdates && !IsPast(deadline) && misses.IsEmpty)
                {
                    current = await Store.UpdateAsync(current with { Description = "update " + updates }, Cancellation).ConfigureAwait(false)
                        ?? throw new InvalidOperationException("The subscription vanished while only one writer updated it.");
                    updates++;
                }
            }
            finally
            {
                Volatile.Write(ref writing, 0);
            }
        });
        var readers = Enumerable.Range(0, 3).Select(r => Task.Run(async () =>
        {
            for (int i = 0; i < MaxReads && Volatile.Read(ref writing) == 1 && misses.IsEmpty; i++)
            {
                if (r == 0 && await Store.GetAsync(s.Id, Cancellation).ConfigureAwait(false) is null)
                {
                    misses.Enqueue($"GetAsync returned null during update {updates}");
                }
                else if (r > 0 && (await Store.FindForEventAsync("t", ["order.created"], null, Cancellation).ConfigureAwait(false)).Count != 1)
                {
                    misses.Enqueue($"FindForEventAsync did not return it during update {updates}");
                }
            }
        })).ToArray();

        await writer;
        await Task.WhenAll(readers);

        Assert.True(misses.IsEmpty, "A subscription being updated must never read as missing: " + string.Join("; ", misses.Take(3)) + ". Replace it in one step; never remove it and add it back.");
        Assert.True(updates > 0, "The writer made no update.");
    }

    /// <summary>Rule: deleting without a version removes whatever is stored, reports whether it existed, and frees the name.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Delete_WithoutVersion_RemovesAndFreesName()
    {
        var s = await Store.CreateAsync(NewSubscription("t", "s", ["order.created"]), Cancellation);
        await Store.UpdateAsync(s with { Description = "v2" }, Cancellation);

        Assert.True(await Store.DeleteAsync(s.Id, null, Cancellation));
        Assert.False(await Store.DeleteAsync(s.Id, null, Cancellation));
        Assert.Null(await Store.GetAsync(s.Id, Cancellation));
        Assert.Empty((await Store.ListAsync(new WebhookSubscriptionQuery("t"), Cancellation)).Items);
        var again = await Store.CreateAsync(NewSubscription("t", "s", ["order.created"]), Cancellation);
        Assert.Equal(1, again.Version);
    }

    /// <summary>
    /// Rule: a delete with an expected version removes the subscription only at that version; at
    /// another it throws <see cref="WebhookConcurrencyException"/> (naming both versions) and keeps it.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Delete_ExpectedVersion_DeletesOnlyAtThatVersion()
    {
        var s = await Store.CreateAsync(NewSubscription("t", "s", ["order.created"]), Cancellation);
        var v2 = await Store.UpdateAsync(s with { Description = "v2" }, Cancellation);

        var ex = await Assert.ThrowsAsync<WebhookConcurrencyException>(() => Store.DeleteAsync(s.Id, 1, Cancellation));
        Assert.Equal((s.Id, 1L, 2L), (ex.SubscriptionId, ex.ExpectedVersion, ex.ActualVersion));
        Assert.NotNull(await Store.GetAsync(s.Id, Cancellation));
        Assert.Single(await Store.FindForEventAsync("t", ["order.created"], null, Cancellation));

        Assert.True(await Store.DeleteAsync(s.Id, v2!.Version, Cancellation));
        Assert.Null(await Store.GetAsync(s.Id, Cancellation));
    }

    /// <summary>Rule: deleting an id that is not stored returns <see langword="false"/>, with or without an expected version (there is no version to conflict with).</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Delete_Unknown_ReturnsFalse()
    {
        var id = WebhookIds.New(WebhookIds.SubscriptionPrefix, T0);

        Assert.False(await Store.DeleteAsync(id, null, Cancellation));
        Assert.False(await Store.DeleteAsync(id, 1, Cancellation));
    }

    /// <summary>
    /// Rule: delete with a version is atomic against updates: when an update and a delete holding the
    /// same version race, exactly one of them happens (the update returns the new state, or the
    /// delete returns <see langword="true"/>); the other is refused. Repeated over several rounds.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Delete_ConcurrentWithUpdateAtSameVersion_ExactlyOneWins()
    {
        const int Rounds = 6;
        for (int round = 1; round <= Rounds; round++)
        {
            var s = await Store.CreateAsync(NewSubscription("t", "race-" + round, ["order.created"]), Cancellation);
            var outcomes = await RunConcurrentlyAsync(4, async i =>
            {
                try
                {
                    return i % 2 == 0
                        ? await Store.UpdateAsync(s with { Description = "update " + i }, Cancellation).ConfigureAwait(false) is not null
                        : await Store.DeleteAsync(s.Id, s.Version, Cancellation).ConfigureAwait(false);
                }
                catch (WebhookConcurrencyException)
                {
                    return false;
                }
            });

            int won = outcomes.Count(ok => ok);
            var stored = await Store.GetAsync(s.Id, Cancellation);
            Assert.True(won == 1, $"Round {round}: {won} of 4 writers (2 updates, 2 deletes) holding version {s.Version} succeeded; exactly one may. Compare the version and write (or delete) in one atomic step.");
            bool deleted = outcomes[1] || outcomes[3];
            Assert.True(deleted ? stored is null : stored?.Version == s.Version + 1, $"Round {round}: the stored state does not match the winner ({(deleted ? "a delete" : "an update")}).");
        }
    }

    /// <summary>Builds a valid subscription with a fresh id that sorts after every earlier one.</summary>
    /// <param name="owner">The owner.</param>
    /// <param name="name">The name.</param>
    /// <param name="events">The event names and patterns.</param>
    /// <returns>The subscription (not stored).</returns>
    protected static WebhookSubscription NewSubscription(string? owner, string name, IReadOnlyList<string> events) => new()
    {
        Id = WebhookIds.New(WebhookIds.SubscriptionPrefix, DateTimeOffset.UtcNow),
        Owner = owner,
        Name = name,
        Url = "https://example.com/hooks/" + name,
        Events = events,
        Secrets = [new WebhookSecret(Secret1)],
        CreatedAt = T0,
        UpdatedAt = T0,
        Version = 1,
    };

    /// <summary>Builds a subscription with every field set to a value other than its default.</summary>
    /// <param name="owner">The owner.</param>
    /// <param name="name">The name.</param>
    /// <returns>The subscription (not stored), listening to <c>order.created</c> and <c>invoice.*</c>.</returns>
    protected static WebhookSubscription FullSubscription(string? owner, string name) => NewSubscription(owner, name, ["order.created", "invoice.*"]) with
    {
        Description = "Ships orders to the warehouse. Ünïcödé ✓ \"quoted\" 'single' \\ back",
        Secrets = [new WebhookSecret(Secret1), new WebhookSecret(Secret2, T0.AddHours(24).AddMilliseconds(123))],
        SignatureScheme = "v1a",
        Auth = WebhookAuth.Basic("shipper", "p@ss:word"),
        Headers = new Dictionary<string, string> { ["X-Team"] = "fulfilment", ["X-Region"] = "eu" },
        Metadata = new Dictionary<string, string> { ["plan"] = "gold", ["empty"] = "" },
        Filter = new Dictionary<string, IReadOnlyList<string>> { ["severity"] = ["error", "critical"], ["version"] = ["v1"] },
        PayloadFilter = """{"data.priority":"high","data.total":{"$gte":100}}""",
        RateLimit = 10_000,
        Ordered = true,
        Active = false,
        DisabledReason = "The receiver answered 410 Gone.",
        FailingSince = T0.AddMinutes(-90).AddMilliseconds(7),
        CreatedAt = T0,
        UpdatedAt = T0.AddMinutes(5),
    };

    /// <summary>Asserts two subscriptions hold the same data (collections compared by content, in order where order matters).</summary>
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
        Assert.Equal(expected.PayloadFilter, actual.PayloadFilter);
        Assert.True(expected.RateLimit == actual.RateLimit, $"RateLimit must be kept as given: expected {expected.RateLimit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}, got {actual.RateLimit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}.");
        Assert.True(expected.Ordered == actual.Ordered, $"Ordered must be kept as given: expected {expected.Ordered}, got {actual.Ordered}.");
        Assert.Equal(expected.Active, actual.Active);
        Assert.Equal(expected.DisabledReason, actual.DisabledReason);
        Assert.Equal(expected.FailingSince, actual.FailingSince);
        Assert.Equal(expected.CreatedAt, actual.CreatedAt);
        Assert.Equal(expected.UpdatedAt, actual.UpdatedAt);
        Assert.Equal(expected.Version, actual.Version);
    }
}
