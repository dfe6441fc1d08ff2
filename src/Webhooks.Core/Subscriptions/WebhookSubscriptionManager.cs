using System.Text.Json;
using Microsoft.Extensions.Options;
using Webhooks.Core.Delivery;
using Webhooks.Core.Publishing;

namespace Webhooks.Core.Subscriptions;

/// <summary>
/// Everything a user may do with their subscriptions, validated the same way whether it comes
/// from code or from the HTTP endpoints. Every call is scoped to an owner: another owner's
/// subscription behaves exactly like one that does not exist. Reads return secrets and auth values
/// masked; only <see cref="CreateAsync"/> and <see cref="RotateSecretAsync"/> return the secret in full.
/// </summary>
public sealed class WebhookSubscriptionManager
{
    /// <summary>The event type of test sends.</summary>
    public const string TestEventType = "webhook.test";

    private readonly IWebhookSubscriptionStore _store;
    private readonly IWebhookDeliveryStore _deliveries;
    private readonly WebhookSubscriptionValidator _validator;
    private readonly WebhookSender _sender;
    private readonly WebhookDispatchSignal _signal;
    private readonly IOptions<WebhookOptions> _options;
    private readonly TimeProvider _time;
    private readonly IWebhookSubscriptionRule[] _rules;

    internal WebhookSubscriptionManager(
        IWebhookSubscriptionStore store,
        IWebhookDeliveryStore deliveries,
        WebhookSubscriptionValidator validator,
        WebhookSender sender,
        WebhookDispatchSignal signal,
        IOptions<WebhookOptions> options,
        TimeProvider time,
        IEnumerable<IWebhookSubscriptionRule> rules)
    {
        _rules = [.. rules];
        _store = store;
        _deliveries = deliveries;
        _validator = validator;
        _sender = sender;
        _signal = signal;
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
            Id = WebhookIds.New("sub_", now),
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
    /// <param name="limit">Most per page (1 to 500).</param>
    /// <param name="cursor">The previous page's cursor.</param>
    /// <param name="eventType">Only those listing this event name or pattern.</param>
    /// <param name="active">Only active or inactive ones.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A page.</returns>
    public async Task<WebhookPage<WebhookSubscription>> ListAsync(string? owner, int limit = 50, string? cursor = null, string? eventType = null, bool? active = null, CancellationToken cancellationToken = default)
    {
        if (limit is < 1 or > 500)
        {
            throw new WebhookValidationException("limit", "limit must be between 1 and 500.");
        }

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
            Active = patch.Active ?? current.Active,
            DisabledReason = activating ? null : current.DisabledReason,
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
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="true"/> when it existed and was the owner's.</returns>
    public async Task<bool> DeleteAsync(string? owner, string id, CancellationToken cancellationToken = default)
        => await GetOwnedAsync(owner, id, cancellationToken).ConfigureAwait(false) is not null
           && await _store.DeleteAsync(id, cancellationToken).ConfigureAwait(false);

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
        var previous = new WebhookSecret(current.CurrentSecret, now + _options.Value.SecretRotationGracePeriod);
        var next = current with { Secrets = [new WebhookSecret(secret), previous], UpdatedAt = now };
        var stored = await _store.UpdateAsync(next, cancellationToken).ConfigureAwait(false);
        return stored is null ? null : new WebhookSubscriptionWithSecret(stored, secret);
    }

    /// <summary>Sends a <c>webhook.test</c> event to a saved subscription now and returns what happened (not logged as a delivery).</summary>
    /// <param name="owner">The owner.</param>
    /// <param name="id">The subscription id.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>The attempt, or <see langword="null"/> when the subscription does not exist or is another owner's.</returns>
    public async Task<WebhookAttempt?> SendTestAsync(string? owner, string id, CancellationToken cancellationToken = default)
    {
        var s = await GetOwnedAsync(owner, id, cancellationToken).ConfigureAwait(false);
        if (s is null)
        {
            return null;
        }

        var target = new WebhookTarget(s.Url, s.Auth, s.Headers, s.GetSigningSecrets(_time.GetUtcNow()), s.SignatureScheme ?? _options.Value.DefaultSignatureScheme, s.Name);
        return await SendTestCoreAsync(target, s.Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a <c>webhook.test</c> event to an unsaved URL and auth ("test before saving") and returns what happened.</summary>
    /// <param name="target">Where and how to send; validated like a subscription.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>The attempt.</returns>
    /// <exception cref="WebhookValidationException">The URL, auth or headers are invalid.</exception>
    public async Task<WebhookAttempt> SendTestAsync(WebhookTestTarget target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        _validator.ValidateTarget(target.Url, target.Auth, target.Headers, target.Secret, target.SignatureScheme);
        await _validator.ValidateUrlTargetAsync(target.Url, cancellationToken).ConfigureAwait(false);
        var t = new WebhookTarget(
            target.Url,
            target.Auth ?? WebhookAuth.None,
            Copy(target.Headers),
            [target.Secret ?? WebhookSecret.Generate()],
            target.SignatureScheme ?? _options.Value.DefaultSignatureScheme,
            target.Name);
        return await SendTestCoreAsync(t, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One of the owner's subscription's deliveries, newest first.</summary>
    /// <param name="owner">The owner.</param>
    /// <param name="id">The subscription id.</param>
    /// <param name="status">Only deliveries in this status.</param>
    /// <param name="limit">Most per page (1 to 500).</param>
    /// <param name="cursor">The previous page's cursor.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A page, or <see langword="null"/> when the subscription is not the owner's.</returns>
    public async Task<WebhookPage<WebhookDelivery>?> GetDeliveriesAsync(string? owner, string id, WebhookDeliveryStatus? status = null, int limit = 50, string? cursor = null, CancellationToken cancellationToken = default)
    {
        if (limit is < 1 or > 500)
        {
            throw new WebhookValidationException("limit", "limit must be between 1 and 500.");
        }

        return await GetOwnedAsync(owner, id, cancellationToken).ConfigureAwait(false) is null
            ? null
            : await _deliveries.QueryAsync(new WebhookDeliveryQuery(id, status, limit, cursor), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One delivery of the owner's subscription, with its attempts.</summary>
    /// <param name="owner">The owner.</param>
    /// <param name="id">The subscription id.</param>
    /// <param name="deliveryId">The delivery id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The delivery, or <see langword="null"/>.</returns>
    public async Task<WebhookDeliveryDetails?> GetDeliveryAsync(string? owner, string id, string deliveryId, CancellationToken cancellationToken = default)
    {
        if (await GetOwnedAsync(owner, id, cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        var details = await _deliveries.GetAsync(deliveryId, cancellationToken).ConfigureAwait(false);
        return details?.Delivery.SubscriptionId == id ? details : null;
    }

    /// <summary>Sends a finished delivery again (its attempts are kept).</summary>
    /// <param name="owner">The owner.</param>
    /// <param name="id">The subscription id.</param>
    /// <param name="deliveryId">The delivery id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="null"/> when not found; <see langword="false"/> when it is still pending; <see langword="true"/> when requeued.</returns>
    public async Task<bool?> RedeliverAsync(string? owner, string id, string deliveryId, CancellationToken cancellationToken = default)
    {
        if (await GetDeliveryAsync(owner, id, deliveryId, cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        var requeued = await _deliveries.RedeliverAsync(deliveryId, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (requeued)
        {
            _signal.Notify();
        }

        return requeued;
    }

    /// <summary>Requeues every failed delivery of the subscription created since <paramref name="since"/>.</summary>
    /// <param name="owner">The owner.</param>
    /// <param name="id">The subscription id.</param>
    /// <param name="since">Only deliveries created at or after this time.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>How many were requeued, or <see langword="null"/> when the subscription is not the owner's.</returns>
    public async Task<int?> RecoverAsync(string? owner, string id, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        if (await GetOwnedAsync(owner, id, cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        var count = await _deliveries.RequeueFailedAsync(id, since, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (count > 0)
        {
            _signal.Notify();
        }

        return count;
    }

    /// <summary>Succeeded and failed attempt counts per bucket over a window ending now.</summary>
    /// <param name="owner">The owner.</param>
    /// <param name="id">The subscription id.</param>
    /// <param name="window">How far back (at most 31 days).</param>
    /// <param name="bucket">Bucket width (1 minute to the window).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The buckets, or <see langword="null"/> when the subscription is not the owner's.</returns>
    public async Task<IReadOnlyList<WebhookStatsBucket>?> GetStatsAsync(string? owner, string id, TimeSpan window, TimeSpan bucket, CancellationToken cancellationToken = default)
    {
        if (window <= TimeSpan.Zero || window > TimeSpan.FromDays(31))
        {
            throw new WebhookValidationException("window", "The window must be between 1 minute and 31 days.");
        }

        if (bucket < TimeSpan.FromMinutes(1) || bucket > window || window / bucket > 1000)
        {
            throw new WebhookValidationException("bucket", "The bucket must be at least 1 minute, at most the window, and give at most 1000 buckets.");
        }

        if (await GetOwnedAsync(owner, id, cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        var now = _time.GetUtcNow();
        return await _deliveries.GetStatsAsync(id, now - window, now, bucket, cancellationToken).ConfigureAwait(false);
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

    private async Task<WebhookAttempt> SendTestCoreAsync(WebhookTarget target, string? subscriptionId, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var payload = WebhookPublisher.Serialize(
            TestEventType,
            now,
            w => JsonSerializer.Serialize(w, new WebhookTestPayload("This is a test webhook.", subscriptionId), WebhookJsonContext.Default.WebhookTestPayload),
            int.MaxValue,
            _options.Value.PayloadFormat);
        var message = new WebhookMessage { Id = WebhookIds.New("msg_", now), EventType = TestEventType, Timestamp = now, Payload = payload };
        var (attempt, _) = await _sender.SendAsync(target, message, 1, cancellationToken).ConfigureAwait(false);
        return attempt;
    }

    private static WebhookSubscription? Mask(WebhookSubscription? s) => s is null ? null : s with
    {
        Secrets = [.. s.Secrets.Select(x => x with { Value = WebhookSecret.Mask(x.Value) })],
        Auth = s.Auth.Masked(),
    };

    private static Dictionary<string, IReadOnlyList<string>> CopyFilter(IReadOnlyDictionary<string, IReadOnlyList<string>>? source) =>
        source is null ? new(0, StringComparer.Ordinal) : source.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)[.. p.Value], StringComparer.Ordinal);

    private static Dictionary<string, string> CopyMetadata(IReadOnlyDictionary<string, string>? source) =>
        source is null ? new(0, StringComparer.Ordinal) : new(source, StringComparer.Ordinal);

    private static Dictionary<string, string> Copy(IReadOnlyDictionary<string, string>? source) =>
        source is null ? new(0, StringComparer.OrdinalIgnoreCase) : new(source, StringComparer.OrdinalIgnoreCase);
}

/// <summary>An unsaved destination for a test send.</summary>
public sealed record WebhookTestTarget
{
    /// <summary>The URL to POST to.</summary>
    public required string Url { get; init; }

    /// <summary>How to authenticate.</summary>
    public WebhookAuth? Auth { get; init; }

    /// <summary>Extra headers.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>The secret to sign with; a throwaway one when omitted.</summary>
    public string? Secret { get; init; }

    /// <summary>The signature scheme.</summary>
    public string? SignatureScheme { get; init; }

    /// <summary>The name sent in <see cref="WebhookOptions.SubscriptionNameHeader"/>, if configured.</summary>
    public string? Name { get; init; }
}
