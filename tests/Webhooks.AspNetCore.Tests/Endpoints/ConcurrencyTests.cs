using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.AspNetCore.Tests.Infrastructure;
using Webhooks.Core.Subscriptions;

namespace Webhooks.AspNetCore.Tests.Endpoints;

/// <summary>
/// If-Match is checked where the change is made: DELETE passes the version to the store's atomic
/// compare-and-delete, so a change made after the caller's read (even one made while the request is
/// being handled) fails the request with 412 instead of being lost.
/// </summary>
public sealed class ConcurrencyTests
{
    [Fact]
    public async Task Delete_IfMatch_SubscriptionUpdatedWhileDeleting_Returns412AndKeepsTheUpdate()
    {
        await using var host = await ApiHost.StartAsync(webhooks: w =>
        {
            var registered = w.Services.Single(d => d.ServiceType == typeof(IWebhookSubscriptionStore));
            w.Services.Remove(registered);
            w.Services.AddSingleton(sp => new InterleavingStore((IWebhookSubscriptionStore)ActivatorUtilities.CreateInstance(sp, registered.ImplementationType!)));
            w.Services.AddSingleton<IWebhookSubscriptionStore>(sp => sp.GetRequiredService<InterleavingStore>());
        });
        var owner = ApiFixture.NewOwner();
        using var client = host.Client(owner);
        var created = await client.PostJsonAsync("/webhooks", new { name = "orders", url = "https://example.com/a", events = new[] { "order.*" } });
        var etag = created.Headers.ETag!;
        var id = (string)(await created.JsonAsync(HttpStatusCode.Created))["id"]!;

        // Someone renames the subscription right after the DELETE's handler has read it.
        var store = host.Services.GetRequiredService<InterleavingStore>();
        store.AfterNextRead(id, () => host.Manager.UpdateAsync(owner, id, new WebhookSubscriptionPatch { Name = "renamed meanwhile" }));

        var delete = await client.SendJsonAsync(HttpMethod.Delete, $"/webhooks/{id}", null, r => r.Headers.IfMatch.Add(etag));

        store.Interleaved.Should().BeTrue("the update ran between the read and the delete");
        await delete.ProblemAsync(HttpStatusCode.PreconditionFailed);
        var after = await (await client.GetAsync($"/webhooks/{id}")).JsonAsync(HttpStatusCode.OK);
        after["name"]!.GetValue<string>().Should().Be("renamed meanwhile");
        after["version"]!.GetValue<long>().Should().Be(2);
    }

    [Theory]
    [InlineData("DELETE", "DELETE")]
    [InlineData("DELETE", "PATCH")]
    [InlineData("PATCH", "DELETE")]
    [InlineData("PATCH", "PATCH")]
    public async Task SameETag_TwoWritesRacing_ExactlyOneWins(string firstMethod, string secondMethod)
    {
        await using var host = await ApiHost.StartAsync();
        using var client = host.Client(ApiFixture.NewOwner());
        for (int round = 0; round < 20; round++)
        {
            var created = await client.PostJsonAsync("/webhooks", new { name = "race-" + round, url = "https://example.com/r", events = new[] { "order.*" } });
            var etag = created.Headers.ETag!;
            var id = (string)(await created.JsonAsync(HttpStatusCode.Created))["id"]!;

            var answers = await Task.WhenAll(Send(firstMethod, "a"), Send(secondMethod, "b"));

            var codes = answers.Select(a => a.StatusCode).ToArray();
            codes.Count(c => c is HttpStatusCode.OK or HttpStatusCode.NoContent).Should().Be(1, $"one of {firstMethod} and {secondMethod} with the same ETag wins (round {round}: {string.Join(", ", codes)})");
            codes.Should().OnlyContain(c => c == HttpStatusCode.OK || c == HttpStatusCode.NoContent || c == HttpStatusCode.PreconditionFailed || c == HttpStatusCode.NotFound);
            var current = await client.GetAsync($"/webhooks/{id}");
            if (codes.Contains(HttpStatusCode.NoContent))
            {
                current.StatusCode.Should().Be(HttpStatusCode.NotFound, "the delete won");
            }
            else
            {
                (await current.JsonAsync(HttpStatusCode.OK))["version"]!.GetValue<long>().Should().Be(2, "exactly one update was applied");
            }

            Task<HttpResponseMessage> Send(string method, string tag) => client.SendJsonAsync(
                new HttpMethod(method),
                $"/webhooks/{id}",
                method == "PATCH" ? $$"""{"description":"{{tag}}"}""" : null,
                r => r.Headers.IfMatch.Add(etag));
        }
    }

    /// <summary>The registered subscription store, with a hook that runs once right after a chosen subscription is read.</summary>
    private sealed class InterleavingStore(IWebhookSubscriptionStore inner) : IWebhookSubscriptionStore
    {
        private (string Id, Func<Task> Action)? _hook;

        public bool Interleaved { get; private set; }

        public void AfterNextRead(string id, Func<Task> action) => _hook = (id, action);

        public async Task<WebhookSubscription?> GetAsync(string id, CancellationToken cancellationToken)
        {
            var read = await inner.GetAsync(id, cancellationToken);
            if (_hook is { } hook && hook.Id == id)
            {
                _hook = null;
                await hook.Action();
                Interleaved = true;
            }

            return read;
        }

        public Task<WebhookSubscription> CreateAsync(WebhookSubscription subscription, CancellationToken cancellationToken) => inner.CreateAsync(subscription, cancellationToken);

        public Task<WebhookPage<WebhookSubscription>> ListAsync(WebhookSubscriptionQuery query, CancellationToken cancellationToken) => inner.ListAsync(query, cancellationToken);

        public Task<IReadOnlyList<WebhookSubscription>> FindForEventAsync(string? owner, IReadOnlyList<string> patterns, WebhookEnqueueContext? context, CancellationToken cancellationToken) =>
            inner.FindForEventAsync(owner, patterns, context, cancellationToken);

        public Task<WebhookSubscription?> UpdateAsync(WebhookSubscription subscription, CancellationToken cancellationToken) => inner.UpdateAsync(subscription, cancellationToken);

        public Task<bool> DeleteAsync(string id, long? expectedVersion, CancellationToken cancellationToken) => inner.DeleteAsync(id, expectedVersion, cancellationToken);
    }
}
