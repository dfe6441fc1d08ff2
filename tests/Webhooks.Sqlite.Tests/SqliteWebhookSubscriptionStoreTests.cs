using Webhooks.Abstractions;
using Webhooks.Abstractions.Subscriptions;
using Webhooks.Sqlite.Subscriptions;
using Webhooks.Sqlite.Tests.Infrastructure;
using static Webhooks.Sqlite.Tests.Infrastructure.Samples;

namespace Webhooks.Sqlite.Tests;

/// <summary>The subscription contract on a SQLite file (until the Webhooks.Testing suites run here).</summary>
public sealed class SqliteWebhookSubscriptionStoreTests : IDisposable
{
    private readonly SqliteTestFile _file = new();
    private readonly SqliteWebhookSubscriptionStore _store;

    public SqliteWebhookSubscriptionStoreTests() => _store = _file.Subscriptions();

    public void Dispose() => _file.Dispose();

    [Fact]
    public async Task Create_ThenGet_ReturnsEveryFieldAsGivenWithVersionOne()
    {
        var subscription = Subscription() with
        {
            Description = "orders",
            Auth = WebhookAuth.ApiKey("X-Api-Key", "protected:key"),
            Headers = new Dictionary<string, string> { ["X-Tenant"] = "1" },
            Metadata = new Dictionary<string, string> { ["plan"] = "pro" },
            Filter = new Dictionary<string, IReadOnlyList<string>> { ["severity"] = ["error", "critical"] },
            SignatureScheme = "hmac-sha256-hex",
            Active = false,
            DisabledReason = "410 Gone",
            FailingSince = T0.AddMinutes(-5),
        };

        var created = await _store.CreateAsync(subscription, default);
        var read = await _store.GetAsync(subscription.Id, default);

        created.Should().BeEquivalentTo(subscription with { Version = 1 });
        read.Should().BeEquivalentTo(created);
        (await _store.GetAsync("sub_missing", default)).Should().BeNull();
    }

    [Fact]
    public async Task Create_TakenIdOrNameOfSameOwner_Conflicts_OtherOwnersAndOwnerlessDoNot()
    {
        var first = await _store.CreateAsync(Subscription("a", "n"), default);

        await _store.Invoking(s => s.CreateAsync(Subscription("b", "other") with { Id = first.Id }, default)).Should().ThrowAsync<WebhookConflictException>().WithMessage("*id*");
        await _store.Invoking(s => s.CreateAsync(Subscription("a", "n"), default)).Should().ThrowAsync<WebhookConflictException>().WithMessage("*named 'n'*");
        await _store.CreateAsync(Subscription("b", "n"), default);
        await _store.CreateAsync(Subscription(null, "n"), default);
        await _store.CreateAsync(Subscription("", "n"), default);
        await _store.Invoking(s => s.CreateAsync(Subscription(null, "n"), default)).Should().ThrowAsync<WebhookConflictException>();
    }

    [Fact]
    public async Task Update_MatchingVersion_StoresNextVersionKeepingOwnerAndCreatedAt()
    {
        var created = await _store.CreateAsync(Subscription(events: ["order.created"]), default);

        var updated = await _store.UpdateAsync(created with { Owner = "thief", CreatedAt = T0.AddDays(1), Url = "https://example.com/v2", Events = ["invoice.*"] }, default);

        updated.Should().BeEquivalentTo(created with { Url = "https://example.com/v2", Events = ["invoice.*"], Version = 2 });
        (await _store.GetAsync(created.Id, default)).Should().BeEquivalentTo(updated);
        (await _store.FindForEventAsync(created.Owner, ["order.created"], null, default)).Should().BeEmpty("the old events are gone");
        (await _store.FindForEventAsync(created.Owner, ["invoice.*"], null, default)).Should().ContainSingle();
    }

    [Fact]
    public async Task Update_StaleVersionMissingOrTakenName_ThrowsOrReturnsNull()
    {
        var created = await _store.CreateAsync(Subscription(), default);
        var other = await _store.CreateAsync(Subscription(), default);
        await _store.UpdateAsync(created with { Description = "v2" }, default);

        await _store.Invoking(s => s.UpdateAsync(created with { Description = "lost" }, default)).Should().ThrowAsync<WebhookConcurrencyException>()
            .Where(e => e.ExpectedVersion == 1 && e.ActualVersion == 2);
        await _store.Invoking(s => s.UpdateAsync(other with { Name = created.Name }, default)).Should().ThrowAsync<WebhookConflictException>();
        (await _store.UpdateAsync(Subscription(), default)).Should().BeNull();
        (await _store.GetAsync(other.Id, default))!.Version.Should().Be(1, "a refused update writes nothing");
    }

    [Fact]
    public async Task Update_ConcurrentWritersWithOneVersion_ExactlyOneWins()
    {
        var created = await _store.CreateAsync(Subscription(), default);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            try
            {
                return await _store.UpdateAsync(created with { Description = $"writer {i}" }, default) is not null;
            }
            catch (WebhookConcurrencyException)
            {
                return false;
            }
        })));

        outcomes.Count(won => won).Should().Be(1);
        (await _store.GetAsync(created.Id, default))!.Version.Should().Be(2);
    }

    [Fact]
    public async Task Delete_ChecksTheVersionAndRemovesTheEventIndex()
    {
        var created = await _store.CreateAsync(Subscription(), default);

        await _store.Invoking(s => s.DeleteAsync(created.Id, 7, default)).Should().ThrowAsync<WebhookConcurrencyException>();
        (await _store.DeleteAsync(created.Id, 1, default)).Should().BeTrue();
        (await _store.DeleteAsync(created.Id, null, default)).Should().BeFalse();
        (await _store.GetAsync(created.Id, default)).Should().BeNull();
        _file.Scalar<long>("SELECT count(*) FROM subscription_events").Should().Be(0);
    }

    [Fact]
    public async Task FindForEvent_ReturnsTheOwnersActiveSubscriptionsListingAnyPatternOnce()
    {
        var both = await _store.CreateAsync(Subscription("a", events: ["order.created", "order.*"]), default);
        var wildcard = await _store.CreateAsync(Subscription("a", events: ["*"]), default);
        await _store.CreateAsync(Subscription("a", events: ["order.created"]) with { Active = false }, default);
        await _store.CreateAsync(Subscription("a", events: ["invoice.paid"]), default);
        await _store.CreateAsync(Subscription("b", events: ["order.created"]), default);
        var ownerless = await _store.CreateAsync(Subscription(null, events: ["order.created"]), default);

        var found = await _store.FindForEventAsync("a", ["order.created", "order.*", "*"], null, default);

        found.Select(s => s.Id).Should().BeEquivalentTo([both.Id, wildcard.Id]);
        (await _store.FindForEventAsync(null, ["order.created"], null, default)).Select(s => s.Id).Should().Equal(ownerless.Id);
        (await _store.FindForEventAsync("a", [], null, default)).Should().BeEmpty();
    }

    [Fact]
    public async Task FindForEvent_UsesTheEventIndex_NeverScans()
    {
        await _store.CreateAsync(Subscription(), default);
        var plan = _file.Column("EXPLAIN QUERY PLAN " + SqliteWebhookSubscriptionStore.FindSql.Replace("{0}", "'a', 'b'").Replace("$owner", "'x'"));

        plan.Should().NotContain(step => step.StartsWith("SCAN"), string.Join("\n", plan));
        plan.Should().Contain(step => step.Contains("subscription_events_lookup"));
    }

    [Fact]
    public async Task List_PagesTheOwnersSubscriptionsInIdOrderWithFilters()
    {
        var mine = new List<WebhookSubscription>();
        for (int i = 0; i < 5; i++)
        {
            mine.Add(await _store.CreateAsync(Subscription("a", events: i % 2 == 0 ? ["order.*"] : ["invoice.paid"]) with { Active = i != 4 }, default));
        }

        await _store.CreateAsync(Subscription("b"), default);

        var first = await _store.ListAsync(new WebhookSubscriptionQuery("a", Limit: 2), default);
        var second = await _store.ListAsync(new WebhookSubscriptionQuery("a", Limit: 2, Cursor: first.NextCursor), default);
        var last = await _store.ListAsync(new WebhookSubscriptionQuery("a", Limit: 2, Cursor: second.NextCursor), default);

        first.Items.Concat(second.Items).Concat(last.Items).Select(s => s.Id).Should().Equal(mine.Select(s => s.Id));
        last.NextCursor.Should().BeNull();
        (await _store.ListAsync(new WebhookSubscriptionQuery("a", Event: "order.*", Active: true), default)).Items.Select(s => s.Id).Should().Equal(mine[0].Id, mine[2].Id);
        (await _store.ListAsync(new WebhookSubscriptionQuery("a", Active: false), default)).Items.Should().ContainSingle();
    }
}
