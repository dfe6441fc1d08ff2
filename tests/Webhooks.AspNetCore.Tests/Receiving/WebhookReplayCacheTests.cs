using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Webhooks.AspNetCore.Receiving;

namespace Webhooks.AspNetCore.Tests.Receiving;

public sealed class WebhookReplayCacheTests
{
    private const string Secret = "whsec_cmVjZWl2ZXItc2VjcmV0LWtleS0wMTIzNDU2Nzg5YWI=";

    [Fact]
    public async Task TryAddAsync_SameIdBeforeAndAfterExpiry_RefusedThenAccepted()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var cache = new InMemoryWebhookReplayCache(time, capacity: 10);

        (await cache.TryAddAsync("msg_1", time.GetUtcNow().AddMinutes(5), default)).Should().BeTrue();
        (await cache.TryAddAsync("msg_1", time.GetUtcNow().AddMinutes(5), default)).Should().BeFalse();
        time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        (await cache.TryAddAsync("msg_1", time.GetUtcNow().AddMinutes(5), default)).Should().BeTrue();
    }

    [Fact]
    public async Task TryAddAsync_OverCapacity_StaysBoundedForgettingTheIdsClosestToExpiry()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var cache = new InMemoryWebhookReplayCache(time, capacity: 100);

        for (var i = 0; i < 1000; i++)
        {
            (await cache.TryAddAsync($"msg_{i}", time.GetUtcNow().AddSeconds(60 + i), default)).Should().BeTrue();
        }

        cache.Count.Should().Be(100);
        (await cache.TryAddAsync("msg_999", time.GetUtcNow().AddMinutes(5), default)).Should().BeFalse("the latest ids are kept");
        (await cache.TryAddAsync("msg_0", time.GetUtcNow().AddMinutes(5), default)).Should().BeTrue("the earliest-expiring ids went first");
    }

    [Fact]
    public async Task RemoveAsync_ThenTryAdd_AcceptedAgain()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var cache = new InMemoryWebhookReplayCache(time, capacity: 10);
        await cache.TryAddAsync("msg_1", time.GetUtcNow().AddMinutes(5), default);

        await cache.RemoveAsync("msg_1", default);

        (await cache.TryAddAsync("msg_1", time.GetUtcNow().AddMinutes(5), default)).Should().BeTrue();
        cache.Count.Should().Be(1);
    }

    [Fact]
    public async Task RequireWebhookSignature_RegisteredReplayCache_SharedBetweenTwoInstances()
    {
        var shared = new SharedReplayCache();
        await using var a = await StartInstanceAsync(shared);
        await using var b = await StartInstanceAsync(shared);

        using var first = await a.SendAsync(SignedRequests.Create(a.Url("/hooks"), Secret, "{}", "msg_shared"));
        using var replayElsewhere = await b.SendAsync(SignedRequests.Create(b.Url("/hooks"), Secret, "{}", "msg_shared"));

        first.StatusCode.Should().Be(HttpStatusCode.NoContent);
        replayElsewhere.StatusCode.Should().Be(HttpStatusCode.Conflict);
        shared.Ids.Keys.Should().Equal("msg_shared");
    }

    private static Task<SignedReceiverApp> StartInstanceAsync(IWebhookReplayCache cache) =>
        SignedReceiverApp.StartAsync(
            (app, r) => app.MapPost("/hooks", (VerifiedWebhook w) => { r.Handled.Enqueue(w.Id); return Results.NoContent(); }).RequireWebhookSignature(Secret),
            s => s.AddSingleton(cache));

    /// <summary>Stands in for a shared store (Redis, a table): one instance seen by both apps.</summary>
    private sealed class SharedReplayCache : IWebhookReplayCache
    {
        public ConcurrentDictionary<string, DateTimeOffset> Ids { get; } = new();

        public Task<bool> TryAddAsync(string webhookId, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
            Task.FromResult(Ids.TryAdd(webhookId, expiresAt));

        public Task RemoveAsync(string webhookId, CancellationToken cancellationToken)
        {
            Ids.TryRemove(webhookId, out _);
            return Task.CompletedTask;
        }
    }
}
