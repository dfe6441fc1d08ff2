namespace Webhooks.Core.Tests.Subscriptions;

/// <summary>
/// The in-memory store keeps FindForEvent's answer per (owner, patterns) until the next write: every
/// write must show in the very next lookup, whatever it changed.
/// </summary>
public sealed class InMemorySubscriptionLookupTests
{
    private static readonly string[] Created = ["order.created", "*", "order.*"];

    private static WebhookSubscription Sub(string id, string? owner, params string[] events) => new()
    {
        Id = id,
        Owner = owner,
        Name = id,
        Url = "https://example.com/" + id,
        Events = events,
        Secrets = [new(WebhookSecret.Generate())],
    };

    private static async Task<string[]> Find(InMemoryWebhookSubscriptionStore store, string? owner, IReadOnlyList<string> patterns)
        => [.. (await store.FindForEventAsync(owner, patterns, null, default)).Select(s => s.Id).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task EveryWrite_ShowsInTheNextLookup()
    {
        var store = new InMemoryWebhookSubscriptionStore();
        (await Find(store, null, Created)).Should().BeEmpty();

        var a = await store.CreateAsync(Sub("sub_a", null, "order.created"), default);
        (await Find(store, null, Created)).Should().Equal("sub_a");

        await store.CreateAsync(Sub("sub_b", null, "order.*"), default);
        (await Find(store, null, Created)).Should().Equal("sub_a", "sub_b");

        a = (await store.UpdateAsync(a with { Active = false }, default))!;
        (await Find(store, null, Created)).Should().Equal("sub_b");

        a = (await store.UpdateAsync(a with { Active = true, Events = ["order.deleted"] }, default))!;
        (await Find(store, null, Created)).Should().Equal("sub_b");

        await store.UpdateAsync(a with { Events = ["*"] }, default);
        (await Find(store, null, Created)).Should().Equal("sub_a", "sub_b");

        (await store.DeleteAsync("sub_b", null, default)).Should().BeTrue();
        (await Find(store, null, Created)).Should().Equal("sub_a");
    }

    [Fact]
    public async Task Answers_AreKeptPerOwner()
    {
        var store = new InMemoryWebhookSubscriptionStore();
        await store.CreateAsync(Sub("sub_1", "tenant-1", "order.created"), default);
        await store.CreateAsync(Sub("sub_2", "tenant-2", "order.created"), default);
        await store.CreateAsync(Sub("sub_3", null, "order.created"), default);

        for (int round = 0; round < 2; round++)
        {
            (await Find(store, "tenant-1", Created)).Should().Equal("sub_1");
            (await Find(store, "tenant-2", Created)).Should().Equal("sub_2");
            (await Find(store, null, Created)).Should().Equal("sub_3");
            (await Find(store, "", Created)).Should().BeEmpty("an empty owner is not the app's own (null) owner");
        }
    }

    [Fact]
    public async Task CallersList_ChangedAfterTheCall_DoesNotChangeTheKeptAnswer()
    {
        var store = new InMemoryWebhookSubscriptionStore();
        await store.CreateAsync(Sub("sub_created", null, "order.created"), default);
        await store.CreateAsync(Sub("sub_deleted", null, "order.deleted"), default);
        var patterns = new List<string> { "order.created" };

        (await Find(store, null, patterns)).Should().Equal("sub_created");
        patterns[0] = "order.deleted";

        (await Find(store, null, patterns)).Should().Equal("sub_deleted");
        (await Find(store, null, ["order.created"])).Should().Equal(["sub_created"], "an equal list of another instance finds the same");
    }

    [Fact]
    public async Task ManyDistinctLookups_StayCorrect_PastTheKeptAnswersBound()
    {
        var store = new InMemoryWebhookSubscriptionStore();
        await store.CreateAsync(Sub("sub_1", "tenant-7", "order.created"), default);
        for (int i = 0; i < 10_000; i++)
        {
            var owner = "tenant-" + (i % 5_000);
            (await Find(store, owner, Created)).Should().Equal(owner == "tenant-7" ? ["sub_1"] : []);
        }
    }

    [Fact]
    public async Task AnswerHandedOut_CannotBeChangedByItsReader()
    {
        var store = new InMemoryWebhookSubscriptionStore();
        await store.CreateAsync(Sub("sub_1", null, "order.created"), default);

        var first = await store.FindForEventAsync(null, Created, null, default);
        first.Should().NotBeAssignableTo<WebhookSubscription[]>().And.NotBeAssignableTo<List<WebhookSubscription>>();
        (first as ICollection<WebhookSubscription>)?.IsReadOnly.Should().BeTrue();
    }

    [Fact]
    public async Task WriterAndReaders_AtOnce_ReadersSeeEachFinishedWrite()
    {
        var store = new InMemoryWebhookSubscriptionStore();
        var s = await store.CreateAsync(Sub("sub_1", null, "order.created"), default);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        bool active = true;
        int wrong = 0;
        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                bool before = Volatile.Read(ref active);
                var found = await store.FindForEventAsync(null, Created, null, default);
                bool after = Volatile.Read(ref active);
                if (before == after && found.Count != (before ? 1 : 0))
                {
                    Interlocked.Increment(ref wrong); // the state was settled for the whole read, and the answer disagrees
                }
            }
        })).ToArray();

        for (int i = 0; i < 2_000; i++)
        {
            s = (await store.UpdateAsync(s with { Active = !s.Active }, default))!;
            Volatile.Write(ref active, s.Active);
        }

        await stop.CancelAsync();
        await Task.WhenAll(readers);
        wrong.Should().Be(0);
    }
}
