using System.Globalization;
using Microsoft.Extensions.Caching.Distributed;

namespace Webhooks.AspNetCore.Portal.Links;

/// <summary>
/// Remembers, per owner, when their links were last revoked: a link issued at or before that time
/// is refused. Kept in <see cref="IDistributedCache"/> for the longest link lifetime, after which no
/// link the revocation covers can still be valid anyway.
/// </summary>
internal sealed class WebhookPortalRevocations(IDistributedCache cache)
{
    private const string KeyPrefix = "Webhooks.AspNetCore.Portal.RevokedAt:";

    /// <summary>Kept a day longer than the longest link, so clock skew between instances cannot resurrect one.</summary>
    private static readonly TimeSpan Keep = WebhookPortalOptions.MaxLinkLifetimeLimit + TimeSpan.FromDays(1);

    public async Task<bool> IsRevokedAsync(WebhookPortalGrant grant, CancellationToken cancellationToken)
    {
        var value = await cache.GetStringAsync(KeyPrefix + grant.Owner, cancellationToken).ConfigureAwait(false);
        return value is not null
            && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var revokedAt)
            && grant.IssuedAt.UtcTicks <= revokedAt;
    }

    public Task RevokeAsync(string owner, DateTimeOffset now, CancellationToken cancellationToken) =>
        cache.SetStringAsync(
            KeyPrefix + owner,
            now.UtcTicks.ToString(CultureInfo.InvariantCulture),
            new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = Keep },
            cancellationToken);
}
