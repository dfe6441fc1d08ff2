using System.Collections.Concurrent;
using Webhooks.Core.Security;

namespace Webhooks.Core.Subscriptions;

/// <summary>
/// The engine's view of the registered subscription store: every secret and auth value is
/// protected (<see cref="IWebhookSecretProtector"/>) before the store sees it and unprotected after
/// it reads, so a store never holds a plaintext secret and cannot forget to protect one. With the
/// default protector (values kept as they are) it passes calls straight through.
/// </summary>
internal sealed class ProtectedSubscriptionStore(IWebhookSubscriptionStore inner, IWebhookSecretProtector protector) : IWebhookSubscriptionStore
{
    private readonly bool _passThrough = protector is IdentityWebhookSecretProtector;

    // Unprotecting costs a decryption per value; the delivery path reads a subscription per attempt.
    // A stored subscription read again at the same version with the same protected values is the same plaintext.
    private readonly ConcurrentDictionary<string, (long Version, string ProtectedSecret, WebhookSubscription Plain)> _plain = new(StringComparer.Ordinal);

    /// <summary>The store as registered (it holds protected values).</summary>
    public IWebhookSubscriptionStore Inner => inner;

    public async Task<WebhookSubscription> CreateAsync(WebhookSubscription subscription, CancellationToken cancellationToken)
        => Unprotect(await inner.CreateAsync(Protect(subscription), cancellationToken).ConfigureAwait(false))!;

    public Task<WebhookSubscription?> GetAsync(string id, CancellationToken cancellationToken)
    {
        var read = inner.GetAsync(id, cancellationToken);
        if (_passThrough)
        {
            return read;
        }

        return UnprotectAsync(read);

        async Task<WebhookSubscription?> UnprotectAsync(Task<WebhookSubscription?> task) => Unprotect(await task.ConfigureAwait(false));
    }

    public async Task<WebhookPage<WebhookSubscription>> ListAsync(WebhookSubscriptionQuery query, CancellationToken cancellationToken)
    {
        var page = await inner.ListAsync(query, cancellationToken).ConfigureAwait(false);
        return _passThrough ? page : page with { Items = [.. page.Items.Select(s => Unprotect(s)!)] };
    }

    public Task<IReadOnlyList<WebhookSubscription>> FindForEventAsync(string? owner, IReadOnlyList<string> patterns, WebhookEnqueueContext? context, CancellationToken cancellationToken)
    {
        // The publisher needs ids and filters, not secrets: nothing to unprotect (and no task of our own).
        return inner.FindForEventAsync(owner, patterns, context, cancellationToken);
    }

    public async Task<WebhookSubscription?> UpdateAsync(WebhookSubscription subscription, CancellationToken cancellationToken)
        => Unprotect(await inner.UpdateAsync(Protect(subscription), cancellationToken).ConfigureAwait(false));

    public async Task<bool> DeleteAsync(string id, long? expectedVersion, CancellationToken cancellationToken)
    {
        var deleted = await inner.DeleteAsync(id, expectedVersion, cancellationToken).ConfigureAwait(false);
        _plain.TryRemove(id, out _);
        return deleted;
    }

    private WebhookSubscription Protect(WebhookSubscription s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return _passThrough ? s : Transform(s, protector.Protect);
    }

    private WebhookSubscription? Unprotect(WebhookSubscription? s)
    {
        if (s is null || _passThrough)
        {
            return s;
        }

        var protectedSecret = s.Secrets.Count > 0 ? s.Secrets[0].Value : "";
        if (_plain.TryGetValue(s.Id, out var cached) && cached.Version == s.Version && cached.ProtectedSecret == protectedSecret)
        {
            return cached.Plain; // every change bumps the version
        }

        return UnprotectFresh(s, protectedSecret);
    }

    private WebhookSubscription UnprotectFresh(WebhookSubscription s, string protectedSecret)
    {
        WebhookSubscription plain;
        try
        {
            plain = Transform(s, protector.Unprotect);
        }
        catch (WebhookException ex)
        {
            // A protector that already explains itself (Webhooks.AspNetCore's Data Protection one): add which subscription.
            throw new WebhookException($"The secrets of subscription '{s.Id}' could not be unprotected. {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The inner exception's type is kept for diagnosis; its message may quote the input, so it is not.
            throw new WebhookException(
                $"The secrets of subscription '{s.Id}' could not be unprotected ({ex.GetType().Name}); the protection keys may have changed. Restore the keys, or rotate the subscription's secret.");
        }

        _plain[s.Id] = (s.Version, protectedSecret, plain);
        return plain;
    }

    private static WebhookSubscription Transform(WebhookSubscription s, Func<string, string> apply) => s with
    {
        Secrets = [.. s.Secrets.Select(x => x with { Value = apply(x.Value) })],
        Auth = s.Auth.Secret is null ? s.Auth : s.Auth with { Secret = apply(s.Auth.Secret) },
    };
}
