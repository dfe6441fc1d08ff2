using Microsoft.Extensions.Options;
using Webhooks.Core.Filtering;

namespace Webhooks.Core.Subscriptions;

/// <summary>
/// Everything a user may do with their subscriptions (create, read, change, enable and disable,
/// rotate the secret, delete), validated the same way whether it comes from code or from the HTTP
/// endpoints. Every call is scoped to an owner: another owner's subscription behaves exactly like
/// one that does not exist. Outcomes are reported one way: <see langword="null"/> when the
/// subscription does not exist (or is another owner's), a <see cref="WebhookException"/> subclass
/// for every refusal. Reads return secrets and auth values masked; only <see cref="CreateAsync"/>
/// and <see cref="RotateSecretAsync"/> return the secret in full. Deliveries are
/// <c>WebhookDeliveryManager</c>'s, test sends <c>WebhookTestSender</c>'s.
/// </summary>
public sealed class WebhookSubscriptionManager
{
    private readonly ProtectedSubscriptionStore _store;
    private readonly WebhookSubscriptionValidator _validator;
    private readonly IOptions<WebhookOptions> _options;
    private readonly TimeProvider _time;
    private readonly IWebhookSubscriptionRule[] _rules;

    internal WebhookSubscriptionManager(
        ProtectedSubscriptionStore store,
        WebhookSubscriptionValidator validator,
        IOptions<WebhookOptions> options,
        TimeProvider time,
        IEnumerable<IWebhookSubscriptionRule> rules)
    {
        _rules = [.. rules];
        _store = store;
        _validator = validator;
        _options = options;
        _time = time;
    }

    /// <summary>Validates and stores a new subscription, generating its secret unless one is given.</summary>
    /// <param name="owner">The owner (user or tenant); <see langword="null"/> for app-level.</param>
    /// <param name="definition">What to create.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The subscription and its secret in full: the only time it is shown.</returns>
    /// <exception cref="WebhookValidationException">A field is invalid; <see cref="WebhookValidationException.Errors"/> says which and why.</exception>
    /// <exception cref="WebhookConflictException">The owner already has a subscription with that name.</exception>
    public async Task<WebhookSubscriptionWithSecret> CreateAsync(string? owner, WebhookSubscriptionDefinition definition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        _validator.ValidateDefinition(definition);
        await _validator.ValidateUrlTargetAsync(definition.Url, cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var secret = definition.Secret ?? WebhookSecret.Generate();
        var subscription = new WebhookSubscription
        {
            Id = WebhookIds.New(WebhookIds.SubscriptionPrefix, now),
            Owner = owner,
            Name = definition.Name.Trim(),
            Url = definition.Url,
            Events = [.. definition.Events],
            Description = definition.Description,
            Secrets = [new WebhookSecret(secret)],
            SignatureScheme = definition.SignatureScheme,
            Auth = definition.Auth ?? WebhookAuth.None,
            Headers = Copy(definition.Headers),
            Metadata = CopyMetadata(definition.Metadata),
            Filter = CopyFilter(definition.Filter),
            PayloadFilter = WebhookPayloadFilter.Normalize(definition.PayloadFilter),
            RateLimit = definition.RateLimit,
            Ordered = definition.Ordered,
            Active = definition.Active,
            CreatedAt = now,
            UpdatedAt = now,
            Version = 1,
        };
        await CheckRulesAsync(owner, null, subscription, cancellationToken).ConfigureAwait(false);
        var stored = await _store.CreateAsync(subscription, cancellationToken).ConfigureAwait(false);
        return new WebhookSubscriptionWithSecret(stored, secret);
    }

    /// <summary>Gets one of the owner's subscriptions, secrets and auth values masked.</summary>
    /// <param name="owner">The owner.</param>
    /// <param name="id">The subscription id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The subscription, or <see langword="null"/> when it does not exist or is another owner's.</returns>
    public async Task<WebhookSubscription?> GetAsync(string? owner, string id, CancellationToken cancellationToken = default)
        => Mask(await GetOwnedAsync(owner, id, cancellationToken).ConfigureAwait(false));

    /// <summary>Lists the owner's subscriptions, a page at a time, secrets masked.</summary>
    /// <param name="owner">The owner.</param>
    /// <param name="limit">Most per page (1 to <see cref="WebhookPaging.MaxLimit"/>).</param>
    /// <param name="cursor">The previous page's cursor.</param>
    /// <param name="eventType">Only those listing this event name or pattern.</param>
    /// <param name="active">Only active or inactive ones.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A page.</returns>
    public async Task<WebhookPage<WebhookSubscription>> ListAsync(string? owner, int limit = 50, string? cursor = null, string? eventType = null, bool? active = null, CancellationToken cancellationToken = default)
    {
        WebhookQueryRules.CheckPage(limit, cursor, WebhookIds.SubscriptionPrefix);
        var page = await _store.ListAsync(new WebhookSubscriptionQuery(owner, limit, cursor, eventType, active), cancellationToken).ConfigureAwait(false);
        return page with { Items = [.. page.Items.Select(s => Mask(s)!)] };
    }

    /// <summary>Applies a partial update after validating it.</summary>
    /// <param name="owner">The owner.</param>
    /// <param name="id">The subscription id.</param>
    /// <param name="patch">The fields to change; <see langword="null"/> fields stay.</param>
    /// <param name="expectedVersion">When given, the update fails unless the stored version is this one.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The updated subscription (masked), or <see langword="null"/> when it does not exist or is another owner's.</returns>
    /// <exception cref="WebhookValidationException">A field is invalid.</exception>
    /// <exception cref="WebhookConcurrencyException">The subscription changed since <paramref name="expectedVersion"/>.</exception>
    /// <exception cref="WebhookConflictException">The new name is taken.</exception>
    public async Task<WebhookSubscription?> UpdateAsync(string? owner, string id, WebhookSubscriptionPatch patch, long? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patch);
        var current = await GetOwnedAsync(owner, id, cancellationToken).ConfigureAwait(false);
        if (current is null)
        {
            return null;
        }

        if (expectedVersion is { } v && v != current.Version)
        {
            throw new WebhookConcurrencyException(id, v, current.Version);
        }

        _validator.ValidatePatch(patch, current);
        if (patch.Url is not null)
        {
            await _validator.ValidateUrlTargetAsync(patch.Url, cancellationToken).ConfigureAwait(false);
        }

        bool activating = patch.Active == true && !current.Active;
        bool urlChanged = patch.Url is not null && patch.Url != current.Url;
        var next = current with
        {
            Name = patch.Name?.Trim() ?? current.Name,
            Url = patch.Url ?? current.Url,
            Events = patch.Events is null ? current.Events : [.. patch.Events],
            Description = patch.Description is null ? current.Description : patch.Description.Length == 0 ? null : patch.Description,
            Auth = patch.Auth ?? current.Auth,
            Headers = patch.Headers is null ? current.Headers : Copy(patch.Headers),
            Metadata = patch.Metadata is null ? current.Metadata : CopyMetadata(patch.Metadata),
            Filter = patch.Filter is null ? current.Filter : CopyFilter(patch.Filter),
            PayloadFilter = patch.PayloadFilter is null ? current.PayloadFilter : WebhookPayloadFilter.Normalize(patch.PayloadFilter),
            RateLimit = patch.RateLimit is null ? current.RateLimit : patch.RateLimit == 0 ? null : patch.RateLimit,
            Ordered = patch.Ordered ?? current.Ordered,
            Active = patch.Active ?? current.Active,
            DisabledReason = activating ? null : current.DisabledReason,

            // A subscription enabled again, or pointed somewhere new, starts healthy: its old failures say nothing about what comes next.
            FailingSince = activating || urlChanged ? null : current.FailingSince,
            SignatureScheme = patch.SignatureScheme ?? current.SignatureScheme,
            UpdatedAt = _time.GetUtcNow(),
        };
        await CheckRulesAsync(owner, current, next, cancellationToken).ConfigureAwait(false);
        return Mask(await _store.UpdateAsync(next, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Turns a subscription on or off. Enabling clears an automatic disable.</summary>
    /// <param name="owner">The owner.</param>
    /// <param name="id">The subscription id.</param>
    /// <param name="active">The new state.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The updated subscription (masked), or <see langword="null"/>.</returns>
    public Task<WebhookSubscription?> SetActiveAsync(string? owner, string id, bool active, CancellationToken cancellationToken = default)
        => UpdateAsync(owner, id, new WebhookSubscriptionPatch { Active = active }, null, cancellationToken);

    /// <summary>Deletes a subscription. Its pending deliveries fail without being sent.</summary>
    /// <param name="owner">The owner.</param>
    /// <param name="id">The subscription id.</param>
    /// <param name="expectedVersion">When given, the delete fails unless the stored version is this one (HTTP <c>If-Match</c>); checked and deleted in one step.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="true"/> when it existed, was the owner's, and was deleted.</returns>
    /// <exception cref="WebhookConcurrencyException">The subscription changed since <paramref name="expectedVersion"/>.</exception>
    public async Task<bool> DeleteAsync(string? owner, string id, long? expectedVersion = null, CancellationToken cancellationToken = default)
        => await GetOwnedAsync(owner, id, cancellationToken).ConfigureAwait(false) is not null
           && await _store.DeleteAsync(id, expectedVersion, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Replaces the secret with a new one (or <paramref name="newSecret"/>); the old one keeps
    /// signing, alongside, for <see cref="WebhookOptions.SecretRotationGracePeriod"/>.
    /// </summary>
    /// <param name="owner">The owner.</param>
    /// <param name="id">The subscription id.</param>
    /// <param name="newSecret">A secret to use instead of a generated one.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The subscription and its new secret in full, or <see langword="null"/>.</returns>
    public async Task<WebhookSubscriptionWithSecret?> RotateSecretAsync(string? owner, string id, string? newSecret = null, CancellationToken cancellationToken = default)
    {
        if (newSecret is not null && WebhookSecret.Validate(newSecret) is { } error)
        {
            throw new WebhookValidationException("secret", error);
        }

        var current = await GetOwnedAsync(owner, id, cancellationToken).ConfigureAwait(false);
        if (current is null)
        {
            return null;
        }

        var now = _time.GetUtcNow();
        var secret = newSecret ?? WebhookSecret.Generate();
        // The current secret keeps signing for the grace period; so does any earlier one whose own
        // grace period has not ended (a second rotation must not cut the first one short).
        var previous = new WebhookSecret(current.Secrets[0].Value, now + _options.Value.SecretRotationGracePeriod);
        var stillValid = current.Secrets.Skip(1).Where(s => s.ExpiresAt is { } until && until > now);
        var next = current with { Secrets = [new WebhookSecret(secret), previous, .. stillValid], UpdatedAt = now };
        var stored = await _store.UpdateAsync(next, cancellationToken).ConfigureAwait(false);
        return stored is null ? null : new WebhookSubscriptionWithSecret(stored, secret);
    }

    internal async Task<WebhookSubscription?> GetOwnedAsync(string? owner, string id, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(id))
        {
            return null;
        }

        var s = await _store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        return s is not null && s.Owner == owner ? s : null;
    }

    private async Task CheckRulesAsync(string? owner, WebhookSubscription? current, WebhookSubscription proposed, CancellationToken cancellationToken)
    {
        if (_rules.Length == 0)
        {
            return;
        }

        var context = new WebhookSubscriptionRuleContext(owner, current is null ? null : Mask(current), Mask(proposed)!);
        foreach (var rule in _rules)
        {
            await rule.ValidateAsync(context, cancellationToken).ConfigureAwait(false);
        }

        context.ThrowIfAny();
    }

    internal static WebhookSubscription? Mask(WebhookSubscription? s) => s is null ? null : s with
    {
        Secrets = [.. s.Secrets.Select(x => x with { Value = WebhookSecret.Mask(x.Value) })],
        Auth = s.Auth.Masked(),
    };

    private static Dictionary<string, IReadOnlyList<string>> CopyFilter(IReadOnlyDictionary<string, IReadOnlyList<string>>? source) =>
        source is null ? new(0, StringComparer.Ordinal) : source.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)[.. p.Value], StringComparer.Ordinal);

    private static Dictionary<string, string> CopyMetadata(IReadOnlyDictionary<string, string>? source) =>
        source is null ? new(0, StringComparer.Ordinal) : new(source, StringComparer.Ordinal);

    internal static Dictionary<string, string> Copy(IReadOnlyDictionary<string, string>? source) =>
        source is null ? new(0, StringComparer.OrdinalIgnoreCase) : new(source, StringComparer.OrdinalIgnoreCase);
}
