using Microsoft.Extensions.Options;
using Webhooks.Core;
using Webhooks.Abstractions.Subscriptions;
using Webhooks.Core.Signing;
using Webhooks.Core.Subscriptions;

namespace Webhooks.Signing.Ed25519;

/// <summary>
/// The public keys receivers need for a subscription signed with ed25519. Public keys are not
/// secret: show them whenever asked (read APIs mask the <c>whsec_</c> secret they derive from).
/// Registered by <c>AddEd25519Signing()</c>.
/// </summary>
public sealed class Ed25519WebhookPublicKeys
{
    private readonly ProtectedSubscriptionStore _store; // the engine's protecting view: secrets in plaintext
    private readonly IOptions<WebhookOptions> _options;
    private readonly TimeProvider _time;

    internal Ed25519WebhookPublicKeys(ProtectedSubscriptionStore store, IOptions<WebhookOptions> options, TimeProvider time)
    {
        _store = store;
        _options = options;
        _time = time;
    }

    /// <summary>The <c>whpk_</c> keys that verify one of the owner's subscriptions: current first, then any still signing after a rotation.</summary>
    /// <param name="owner">The owner, as for <see cref="WebhookSubscriptionManager"/>.</param>
    /// <param name="subscriptionId">The subscription id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The keys; empty when the subscription signs with another scheme; <see langword="null"/> when it does not exist or is another owner's.</returns>
    public async Task<IReadOnlyList<string>?> GetAsync(string? owner, string subscriptionId, CancellationToken cancellationToken = default)
    {
        var s = await _store.GetAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
        if (s is null || s.Owner != owner)
        {
            return null;
        }

        return (s.SignatureScheme ?? _options.Value.DefaultSignatureScheme) == Ed25519WebhookSignatures.Scheme
            ? [.. WebhookSigningSecrets.Active(s.Secrets, _time.GetUtcNow()).Select(Ed25519WebhookKeys.GetPublicKey)]
            : [];
    }
}
