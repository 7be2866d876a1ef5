/*
 * The eligibility index (see index.h). Costs, with S live signatures, A
 * agents, k the signatures an agent's skills meet, r requirements per
 * signature, s skills per agent, h the members of a signature:
 *
 *   best eligible agent of a signature        O(1) amortised (lazy clean-up)
 *   an agent loses eligibility                O(1)
 *   an agent gains eligibility                O(k), O(log h) per heap re-entered
 *   its idle time changes (longest idle)      O(1)
 *   its key changes (other strategies)        O(k log h)
 *   an agent's skills change                  O(S (r + s) + k log h)
 *   a signature is created / dropped          O(A (r + s + k))
 *
 * The heaps are lazy. An agent that stops being eligible keeps its entry
 * until the entry reaches the top, where it is dropped; one that becomes
 * eligible again and still has its entry needs nothing. Under the
 * longest-idle and random strategies an entry also keeps the idle time it
 * was filed with: idle times only grow, so a stale entry can only sit too
 * high, and it is re-filed when it reaches the top. The top entry that
 * survives this clean-up is the true best: its key is exact and every
 * other entry's true key is at least its filed one. The other strategies'
 * keys may move either way and are re-sifted at once.
 */
#include "engine.h"

#include <string.h>
#include <xxhash.h>

void us_index_init(us_index *x, const us_alloc *alloc, uint64_t seed)
{
    memset(x, 0, sizeof *x);
    x->free_head = US_NONE;
    us_idmap_init(&x->by_hash, alloc, seed ^ 2);
}

void us_index_free(us_index *x, const us_alloc *alloc)
{
    for (size_t s = 0; s < x->slots; s++) {
        us_free(alloc, x->sigs[s].reqs);
        us_free(alloc, x->sigs[s].heap);
    }
    us_free(alloc, x->sigs);
    us_idmap_free(&x->by_hash);
}

bool us_skills_meet(const us_skill_entry *skills, uint32_t skill_count, const us_skill_entry *reqs,
                    uint32_t req_count)
{
    uint32_t i = 0;
    for (uint32_t r = 0; r < req_count; r++) {
        while (i < skill_count && skills[i].skill < reqs[r].skill)
            i++;
        if (i == skill_count || skills[i].skill != reqs[r].skill ||
            skills[i].level < reqs[r].level)
            return false;
    }
    return true;
}

static bool agent_meets(const us_agent *a, const us_sig *sig)
{
    return us_skills_meet(a->skills, a->skill_count, sig->reqs, sig->req_count);
}

/* ---- the heap of eligible agents, in the signature's strategy order ----------- */

/* Longest idle and random keep filed idle times (see above). */
static bool lazy_keys(const us_sig *sig)
{
    return sig->strategy == USHER_STRATEGY_LONGEST_IDLE || sig->strategy == USHER_STRATEGY_RANDOM;
}

/* Sets an entry's sort keys from its agent: the strategy's criterion,
 * then idle time, smaller first. */
static void set_keys(const usher_engine *e, const us_sig *sig, us_heap_entry *x)
{
    const us_agent *a = us_agent_at(e, x->agent);
    x->idle = a->idle_since;
    switch (sig->strategy) {
    case USHER_STRATEGY_MOST_FREE:
        x->key = UINT64_MAX - (a->capacity - a->used);
        break;
    case USHER_STRATEGY_BEST_SKILL:
        x->key = UINT64_MAX - a->members[x->member].score;
        break;
    case USHER_STRATEGY_FEWEST_ASSIGNMENTS:
        x->key = a->assignments_today;
        break;
    case USHER_STRATEGY_ROUND_ROBIN:
        x->key = a->last_assigned;
        x->idle = 0; /* never-assigned agents go by id */
        break;
    default: /* longest idle and random: the idle time itself */
        x->key = a->idle_since;
        x->idle = 0;
        break;
    }
}

static bool before(const usher_engine *e, us_heap_entry x, us_heap_entry y)
{
    if (x.key != y.key)
        return x.key < y.key;
    if (x.idle != y.idle)
        return x.idle < y.idle;
    return us_agent_at(e, x.agent)->id < us_agent_at(e, y.agent)->id;
}

static void heap_put(usher_engine *e, us_sig *sig, size_t pos, us_heap_entry entry)
{
    sig->heap[pos] = entry;
    us_agent_at(e, entry.agent)->members[entry.member].heap_pos = (uint32_t)pos;
}

static void sift_up(usher_engine *e, us_sig *sig, size_t pos)
{
    us_heap_entry entry = sig->heap[pos];
    while (pos > 0) {
        size_t parent = (pos - 1) / 2;
        if (!before(e, entry, sig->heap[parent]))
            break;
        heap_put(e, sig, pos, sig->heap[parent]);
        pos = parent;
    }
    heap_put(e, sig, pos, entry);
}

static void sift_down(usher_engine *e, us_sig *sig, size_t pos)
{
    us_heap_entry entry = sig->heap[pos];
    for (;;) {
        size_t child = 2 * pos + 1;
        if (child >= sig->heap_size)
            break;
        if (child + 1 < sig->heap_size && before(e, sig->heap[child + 1], sig->heap[child]))
            child++;
        if (!before(e, sig->heap[child], entry))
            break;
        heap_put(e, sig, pos, sig->heap[child]);
        pos = child;
    }
    heap_put(e, sig, pos, entry);
}

static void heap_push(usher_engine *e, us_sig *sig, uint32_t agent, uint32_t member)
{
    us_heap_entry entry = {agent, member, 0, 0};
    set_keys(e, sig, &entry);
    sig->heap[sig->heap_size] = entry;
    sift_up(e, sig, sig->heap_size++);
}



/* An agent that became eligible for a signature with waiting tickets may
 * take one: the router is told. */
static void became_eligible(usher_engine *e, us_sig *sig, uint32_t agent)
{
    if (sig->waiting > 0)
        us_route_mark_agent(e, agent);
}

/* Restores the heap order around an entry whose key changed. */
static void resift(usher_engine *e, us_sig *sig, size_t pos)
{
    if (pos > 0 && before(e, sig->heap[pos], sig->heap[(pos - 1) / 2]))
        sift_up(e, sig, pos);
    else
        sift_down(e, sig, pos);
}

/* An agent's key changed: its entry takes the new keys and its place. */
static void rekey(usher_engine *e, us_sig *sig, size_t pos)
{
    set_keys(e, sig, &sig->heap[pos]);
    resift(e, sig, pos);
}

static void heap_remove(usher_engine *e, us_sig *sig, size_t pos)
{
    us_heap_entry gone = sig->heap[pos];
    us_agent_at(e, gone.agent)->members[gone.member].heap_pos = US_NONE;
    size_t last = --sig->heap_size;
    if (pos == last)
        return;
    heap_put(e, sig, pos, sig->heap[last]);
    resift(e, sig, pos);
}

/* ---- memberships ---------------------------------------------------------------- */

static bool ready_for(const us_agent *a, const us_sig *sig)
{
    return (a->ready_mask >> sig->channel) & 1u;
}

static uint32_t level_of(const us_agent *a, uint16_t skill)
{
    for (uint32_t i = 0; i < a->skill_count && a->skills[i].skill <= skill; i++)
        if (a->skills[i].skill == skill)
            return a->skills[i].level;
    return 0;
}

/* USHER_STRATEGY_BEST_SKILL's score: required levels plus weighted
 * preferred levels (0 for other strategies, which ignore it). */
static uint32_t skill_score(const us_agent *a, const us_sig *sig)
{
    if (sig->strategy != USHER_STRATEGY_BEST_SKILL)
        return 0;
    uint32_t score = 0;
    for (uint32_t r = 0; r < sig->req_count; r++)
        score += level_of(a, sig->reqs[r].skill);
    for (uint32_t p = 0; p < sig->pref_count; p++)
        score += sig->prefs[p].level * level_of(a, sig->prefs[p].skill);
    return score;
}

/* ---- the idle list of a longest-idle signature --------------------------------
 *
 * Exactly its eligible members, in the order of their idle time. Idle
 * times only grow, to the current time, so a member whose idle time grows
 * moves to the tail in O(1); one that becomes eligible with an older idle
 * time (more capacity, a new skill) walks back from the tail to its place.
 * Members idle since the same ms keep the order they became idle in.
 * (Unlike the heaps, lists are not lazy: a lazy list must re-file stale
 * members far from the tail, which costs more than it saves.) */

static const us_mref no_ref = {US_NONE, US_NONE};

static bool listed(const us_sig *sig) { return sig->strategy == USHER_STRATEGY_LONGEST_IDLE; }

static bool is_ref(us_mref r) { return r.agent != US_NONE; }

static us_membership *member_at(const usher_engine *e, us_mref r)
{
    return &us_agent_at(e, r.agent)->members[r.member];
}

/* Links `node` after `after` (no_ref: at the head). */
static void link_after(usher_engine *e, us_sig *sig, us_mref node, us_mref after)
{
    us_membership *mb = member_at(e, node);
    us_mref next = is_ref(after) ? member_at(e, after)->next : sig->head;
    mb->prev = after;
    mb->next = next;
    mb->key = us_agent_at(e, node.agent)->idle_since;
    if (is_ref(after))
        member_at(e, after)->next = node;
    else
        sig->head = node;
    if (is_ref(next))
        member_at(e, next)->prev = node;
    else
        sig->tail = node;
    mb->heap_pos = US_IN_LIST;
    sig->listed++;
}

static void list_insert(usher_engine *e, us_sig *sig, uint32_t slot, uint32_t m)
{
    uint64_t idle = us_agent_at(e, slot)->idle_since;
    us_mref after = sig->tail;
    while (is_ref(after) && member_at(e, after)->key > idle)
        after = member_at(e, after)->prev;
    link_after(e, sig, (us_mref){slot, m}, after);
}

static void list_unlink(usher_engine *e, us_sig *sig, uint32_t slot, uint32_t m)
{
    us_membership *mb = &us_agent_at(e, slot)->members[m];
    if (is_ref(mb->prev))
        member_at(e, mb->prev)->next = mb->next;
    else
        sig->head = mb->next;
    if (is_ref(mb->next))
        member_at(e, mb->next)->prev = mb->prev;
    else
        sig->tail = mb->prev;
    mb->heap_pos = US_NONE;
    sig->listed--;
}

/* The membership at `to` (same agent) was moved there from `from`: its
 * neighbours learn its new name. */
static void list_renamed(usher_engine *e, us_sig *sig, us_mref from, us_mref to)
{
    us_membership *mb = member_at(e, to);
    (void)from;
    if (is_ref(mb->prev))
        member_at(e, mb->prev)->next = to;
    else
        sig->head = to;
    if (is_ref(mb->next))
        member_at(e, mb->next)->prev = to;
    else
        sig->tail = to;
}

/* Files an eligible membership in its signature's list or heap. */
static void file_member(usher_engine *e, us_sig *sig, uint32_t slot, uint32_t m)
{
    if (listed(sig) && !sig->building)
        list_insert(e, sig, slot, m);
    else
        heap_push(e, sig, slot, m);
}

/* A freshly built longest-idle signature: its heap, filled in any order,
 * becomes its list (the heap pops them longest idle first). */
static void heap_to_list(usher_engine *e, us_sig *sig)
{
    sig->building = false;
    while (sig->heap_size > 0) {
        us_heap_entry top = sig->heap[0];
        heap_remove(e, sig, 0);
        link_after(e, sig, (us_mref){top.agent, top.member}, sig->tail);
    }
}

/* Adds a membership (room reserved in the agent's array and the heap). */
static void add_membership(usher_engine *e, uint32_t slot, uint32_t s)
{
    us_agent *a = us_agent_at(e, slot);
    us_sig *sig = &e->index.sigs[s];
    uint32_t m = (uint32_t)a->member_count++;
    a->members[m] = (us_membership){s, US_NONE, skill_score(a, sig), 0, no_ref, no_ref};
    sig->members++;
    if (ready_for(a, sig)) {
        file_member(e, sig, slot, m);
        became_eligible(e, sig, slot);
    }
}

static void remove_membership(usher_engine *e, uint32_t slot, uint32_t m)
{
    us_agent *a = us_agent_at(e, slot);
    us_sig *sig = &e->index.sigs[a->members[m].sig];
    if (a->members[m].heap_pos != US_NONE) {
        if (listed(sig))
            list_unlink(e, sig, slot, m);
        else
            heap_remove(e, sig, a->members[m].heap_pos);
    }
    sig->members--;
    uint32_t last = (uint32_t)--a->member_count;
    if (m == last)
        return;
    a->members[m] = a->members[last];
    us_sig *moved = &e->index.sigs[a->members[m].sig];
    if (a->members[m].heap_pos == US_NONE)
        return;
    if (listed(moved)) /* its neighbours name the old index */
        list_renamed(e, moved, (us_mref){slot, last}, (us_mref){slot, m});
    else
        moved->heap[a->members[m].heap_pos].member = m;
}

static usher_status grow_members(usher_engine *e, us_agent *a, size_t needed)
{
    void *members = a->members;
    usher_status st = us_grow_array(&e->alloc, &members, &a->member_capacity, needed,
                                    sizeof *a->members);
    a->members = members;
    return st;
}

static usher_status grow_heap(usher_engine *e, us_sig *sig, size_t needed)
{
    void *heap = sig->heap;
    usher_status st =
        us_grow_array(&e->alloc, &heap, &sig->heap_capacity, needed, sizeof *sig->heap);
    sig->heap = heap;
    return st;
}

/* Marks the signatures the agent is a member of with a fresh mark. */
static uint64_t mark_memberships(usher_engine *e, const us_agent *a)
{
    uint64_t mark = ++e->index.mark;
    for (size_t m = 0; m < a->member_count; m++)
        e->index.sigs[a->members[m].sig].mark = mark;
    return mark;
}

usher_status us_index_prepare(usher_engine *e, uint32_t slot, const us_skill_entry *skills,
                              uint32_t skill_count)
{
    us_agent *a = us_agent_at(e, slot);
    uint64_t mark = mark_memberships(e, a);
    size_t needed = 0;
    for (size_t s = 0; s < e->index.slots; s++) {
        us_sig *sig = &e->index.sigs[s];
        if (sig->refs == 0 || !us_skills_meet(skills, skill_count, sig->reqs, sig->req_count))
            continue;
        needed++;
        if (sig->mark != mark) {
            usher_status st = grow_heap(e, sig, (size_t)sig->members + 1);
            if (st != USHER_OK)
                return st;
        }
    }
    return grow_members(e, a, needed);
}

void us_index_rematch(usher_engine *e, uint32_t slot)
{
    us_agent *a = us_agent_at(e, slot);
    for (size_t m = a->member_count; m-- > 0;)
        if (!agent_meets(a, &e->index.sigs[a->members[m].sig]))
            remove_membership(e, slot, (uint32_t)m);
    for (size_t m = 0; m < a->member_count; m++) {
        us_membership *mb = &a->members[m];
        uint32_t score = skill_score(a, &e->index.sigs[mb->sig]);
        if (score != mb->score) {
            mb->score = score;
            if (mb->heap_pos != US_NONE)
                rekey(e, &e->index.sigs[mb->sig], mb->heap_pos);
        }
    }
    uint64_t mark = mark_memberships(e, a);
    for (size_t s = 0; s < e->index.slots; s++) {
        us_sig *sig = &e->index.sigs[s];
        if (sig->refs > 0 && sig->mark != mark && agent_meets(a, sig))
            add_membership(e, slot, (uint32_t)s);
    }
}

void us_index_forget(usher_engine *e, uint32_t slot)
{
    us_agent *a = us_agent_at(e, slot);
    while (a->member_count > 0)
        remove_membership(e, slot, (uint32_t)a->member_count - 1);
}

void us_index_ready_changed(usher_engine *e, uint32_t slot, uint32_t old_mask)
{
    us_agent *a = us_agent_at(e, slot);
    uint32_t gained = a->ready_mask & ~old_mask, lost = old_mask & ~a->ready_mask;
    for (size_t m = 0; (gained | lost) && m < a->member_count; m++) {
        us_sig *sig = &e->index.sigs[a->members[m].sig];
        if ((lost >> sig->channel) & 1u) {
            /* Lists drop it now; heap entries go when they reach the top. */
            if (listed(sig) && a->members[m].heap_pos != US_NONE)
                list_unlink(e, sig, slot, (uint32_t)m);
            continue;
        }
        if (!((gained >> sig->channel) & 1u))
            continue;
        if (a->members[m].heap_pos == US_NONE)
            file_member(e, sig, slot, (uint32_t)m);
        became_eligible(e, sig, slot);
    }
}

void us_index_key_changed(usher_engine *e, uint32_t slot)
{
    us_agent *a = us_agent_at(e, slot);
    for (size_t m = 0; m < a->member_count; m++) {
        uint32_t pos = a->members[m].heap_pos;
        us_sig *sig = &e->index.sigs[a->members[m].sig];
        if (pos != US_NONE && !lazy_keys(sig) && !listed(sig))
            rekey(e, sig, pos);
    }
}

void us_index_idle_changed(usher_engine *e, uint32_t slot)
{
    us_agent *a = us_agent_at(e, slot);
    for (size_t m = 0; m < a->member_count; m++) {
        us_sig *sig = &e->index.sigs[a->members[m].sig];
        if (listed(sig) && a->members[m].heap_pos != US_NONE) { /* to its new place, the tail */
            list_unlink(e, sig, slot, (uint32_t)m);
            list_insert(e, sig, slot, (uint32_t)m);
        }
    }
}

/* An entry is current when its agent is eligible and its filed key is
 * exact. */
static bool entry_current(const usher_engine *e, const us_sig *sig, us_heap_entry entry)
{
    const us_agent *a = us_agent_at(e, entry.agent);
    return ready_for(a, sig) && (!lazy_keys(sig) || entry.key == a->idle_since);
}

/* Drops or re-files the top entry until it is current (or the heap is
 * empty); then it is the strategy's true first. */
static void clean_top(usher_engine *e, us_sig *sig)
{
    while (sig->heap_size > 0 && !entry_current(e, sig, sig->heap[0])) {
        const us_agent *a = us_agent_at(e, sig->heap[0].agent);
        if (!ready_for(a, sig)) {
            heap_remove(e, sig, 0);
        } else {
            set_keys(e, sig, &sig->heap[0]);
            sift_down(e, sig, 0);
        }
    }
}

/* A uniformly random eligible member (entries of agents no longer
 * eligible are dropped on the way). */
static uint32_t random_member(usher_engine *e, us_sig *sig)
{
    while (sig->heap_size > 0) {
        size_t pos = us_random_below(e, sig->heap_size);
        if (ready_for(us_agent_at(e, sig->heap[pos].agent), sig))
            return (uint32_t)pos;
        heap_remove(e, sig, pos);
    }
    return US_NONE;
}

uint32_t us_index_pick(usher_engine *e, uint32_t s)
{
    us_sig *sig = &e->index.sigs[s];
    if (sig->strategy == USHER_STRATEGY_RANDOM) {
        uint32_t pos = random_member(e, sig);
        return pos == US_NONE ? US_NONE : sig->heap[pos].agent;
    }
    if (listed(sig))
        return is_ref(sig->head) ? sig->head.agent : US_NONE;
    clean_top(e, sig);
    return sig->heap_size > 0 ? sig->heap[0].agent : US_NONE;
}

/* The strategy's score of a current entry (see usher.h, usher_score_fn). */
static int64_t strategy_score(const usher_engine *e, const us_sig *sig, us_heap_entry entry);

/* The first `want` current entries that `skip` does not pass over, in the
 * strategy's order: taken off the top one by one (cleaning as it goes),
 * then filed back. O((want + passed over) log h); at most MAX_TAKEN looked
 * at. */
#define MAX_TAKEN 256
static size_t first_listed(usher_engine *e, const us_sig *sig, us_index_skip_fn skip,
                           const void *ctx, uint32_t *agents, int64_t *scores, size_t want)
{
    size_t found = 0;
    for (us_mref r = sig->head; is_ref(r) && found < want; r = member_at(e, r)->next) {
        if (skip && skip(e, ctx, r.agent))
            continue;
        agents[found] = r.agent;
        if (scores)
            scores[found] = strategy_score(e, sig, (us_heap_entry){r.agent, r.member, 0, 0});
        found++;
    }
    return found;
}

static size_t first_current(usher_engine *e, uint32_t s, us_index_skip_fn skip, const void *ctx,
                            uint32_t *agents, int64_t *scores, size_t want)
{
    us_sig *sig = &e->index.sigs[s];
    if (listed(sig))
        return first_listed(e, sig, skip, ctx, agents, scores, want);
    us_heap_entry taken[MAX_TAKEN];
    size_t n = 0, found = 0;
    while (found < want && n < MAX_TAKEN) {
        clean_top(e, sig);
        if (sig->heap_size == 0)
            break;
        us_heap_entry top = sig->heap[0];
        if (!skip || !skip(e, ctx, top.agent)) {
            agents[found] = top.agent;
            if (scores)
                scores[found] = strategy_score(e, sig, top);
            found++;
        }
        taken[n++] = top;
        heap_remove(e, sig, 0);
    }
    for (size_t i = 0; i < n; i++)
        heap_push(e, sig, taken[i].agent, taken[i].member);
    return found;
}

uint32_t us_index_pick_unless(usher_engine *e, uint32_t s, us_index_skip_fn skip, const void *ctx)
{
    uint32_t agent = us_index_pick(e, s);
    if (agent == US_NONE || !skip(e, ctx, agent))
        return agent;
    return first_current(e, s, skip, ctx, &agent, NULL, 1) ? agent : US_NONE;
}

/* The strategy's own measure of an agent, higher first (see usher.h,
 * usher_score_fn); ties fall to the heap order. */
static int64_t strategy_score(const usher_engine *e, const us_sig *sig, us_heap_entry entry)
{
    const us_agent *a = us_agent_at(e, entry.agent);
    switch (sig->strategy) {
    case USHER_STRATEGY_MOST_FREE:
        return (int64_t)(a->capacity - a->used);
    case USHER_STRATEGY_BEST_SKILL:
        return a->members[entry.member].score;
    case USHER_STRATEGY_FEWEST_ASSIGNMENTS:
        return -(int64_t)a->assignments_today;
    case USHER_STRATEGY_ROUND_ROBIN:
        return -(int64_t)a->last_assigned;
    default: /* longest idle (and random): ms idle */
        return (int64_t)(us_now(e) - a->idle_since);
    }
}

size_t us_index_candidates(usher_engine *e, uint32_t s, us_index_skip_fn skip, const void *ctx,
                           uint32_t *agents, int64_t *scores, size_t k)
{
    k = k < USHER_MAX_SCORE_CANDIDATES ? k : USHER_MAX_SCORE_CANDIDATES;
    return first_current(e, s, skip, ctx, agents, scores, k);
}

int64_t us_index_score(const usher_engine *e, uint32_t s, uint32_t agent)
{
    const us_agent *a = us_agent_at(e, agent);
    for (size_t m = 0; m < a->member_count; m++)
        if (a->members[m].sig == s)
            return strategy_score(e, &e->index.sigs[s], (us_heap_entry){agent, (uint32_t)m, 0, 0});
    return 0;
}

bool us_index_uses_channel(const usher_engine *e, uint32_t channel)
{
    for (size_t s = 0; s < e->index.slots; s++)
        if (e->index.sigs[s].refs > 0 && e->index.sigs[s].channel == channel)
            return true;
    return false;
}

/* ---- signatures ----------------------------------------------------------------- */

static uint64_t sig_hash(const usher_engine *e, const us_sig_key *key)
{
    uint64_t seed = e->index.by_hash.seed + key->channel + ((uint64_t)key->strategy << 8);
    uint64_t h = XXH3_64bits_withSeed(key->reqs, key->req_count * sizeof *key->reqs, seed);
    return XXH3_64bits_withSeed(key->prefs, key->pref_count * sizeof *key->prefs, h);
}

static bool same_entries(const us_skill_entry *a, const us_skill_entry *b, uint32_t n)
{
    return n == 0 || memcmp(a, b, n * sizeof *a) == 0;
}

static bool sig_is(const us_sig *sig, const us_sig_key *key)
{
    return sig->channel == key->channel && sig->strategy == key->strategy &&
           sig->req_count == key->req_count && sig->pref_count == key->pref_count &&
           same_entries(sig->reqs, key->reqs, key->req_count) &&
           same_entries(sig->prefs, key->prefs, key->pref_count);
}

static uint32_t find_sig(const usher_engine *e, uint64_t hash, const us_sig_key *key)
{
    uint32_t s;
    if (!us_idmap_find(&e->index.by_hash, hash, &s))
        return US_NONE;
    for (; s != US_NONE; s = e->index.sigs[s].next)
        if (sig_is(&e->index.sigs[s], key))
            return s;
    return US_NONE;
}

static usher_status reserve_sig_slot(usher_engine *e)
{
    us_index *x = &e->index;
    if (x->free_head != US_NONE)
        return USHER_OK;
    if (x->slots >= USHER_MAX_OBJECTS)
        return USHER_ELIMIT;
    void *sigs = x->sigs;
    usher_status st = us_grow_array(&e->alloc, &sigs, &x->capacity, x->slots + 1, sizeof *x->sigs);
    x->sigs = sigs;
    if (st != USHER_OK)
        return st;
    memset(&x->sigs[x->slots], 0, sizeof *x->sigs);
    x->sigs[x->slots].next = US_NONE;
    x->free_head = (uint32_t)x->slots++;
    return USHER_OK;
}

/* Room in every matching agent's membership array for the new signature;
 * counts them in *matching. */
static usher_status reserve_new_memberships(usher_engine *e, const us_sig *sig, size_t *matching)
{
    *matching = 0;
    for (uint32_t slot = 0; slot < e->agents.slots; slot++) {
        us_agent *a = us_agent_at(e, slot);
        if (!a->live || !agent_meets(a, sig))
            continue;
        usher_status st = grow_members(e, a, a->member_count + 1);
        if (st != USHER_OK)
            return st;
        (*matching)++;
    }
    return USHER_OK;
}

static void free_sig_arrays(usher_engine *e, us_sig *sig)
{
    us_free(&e->alloc, sig->reqs);
    us_free(&e->alloc, sig->heap);
    sig->reqs = sig->prefs = NULL;
    sig->heap = NULL;
    sig->heap_capacity = 0;
}

/* Copies the key into a free signature slot: its own array holds the
 * requirements, then the preferences. */
static usher_status copy_key(usher_engine *e, us_sig *sig, const us_sig_key *key)
{
    size_t n = (size_t)key->req_count + key->pref_count;
    sig->reqs = us_malloc(&e->alloc, (n ? n : 1) * sizeof *sig->reqs);
    if (!sig->reqs)
        return USHER_ENOMEM;
    sig->prefs = sig->reqs + key->req_count;
    if (key->req_count)
        memcpy(sig->reqs, key->reqs, key->req_count * sizeof *sig->reqs);
    if (key->pref_count)
        memcpy(sig->prefs, key->prefs, key->pref_count * sizeof *sig->prefs);
    sig->channel = key->channel;
    sig->strategy = key->strategy;
    sig->req_count = key->req_count;
    sig->pref_count = key->pref_count;
    return USHER_OK;
}

/* Builds a free signature slot's fields (memory only: not linked yet). */
static usher_status build_sig(usher_engine *e, us_sig *sig, const us_sig_key *key)
{
    if (copy_key(e, sig, key) != USHER_OK)
        return USHER_ENOMEM;
    size_t matching = 0;
    usher_status st = reserve_new_memberships(e, sig, &matching);
    if (st == USHER_OK)
        st = grow_heap(e, sig, matching ? matching : 1);
    if (st != USHER_OK)
        free_sig_arrays(e, sig);
    return st;
}

static void link_sig(usher_engine *e, uint32_t s)
{
    us_sig *sig = &e->index.sigs[s];
    uint32_t first;
    if (us_idmap_find(&e->index.by_hash, sig->hash, &first)) {
        sig->next = first;
        (void)us_idmap_update(&e->index.by_hash, sig->hash, s);
    } else {
        sig->next = US_NONE;
        (void)us_idmap_insert(&e->index.by_hash, sig->hash, s);
    }
}

static void unlink_sig(usher_engine *e, uint32_t s)
{
    us_sig *sig = &e->index.sigs[s];
    uint32_t first;
    (void)us_idmap_find(&e->index.by_hash, sig->hash, &first);
    if (first == s) {
        if (sig->next != US_NONE)
            (void)us_idmap_update(&e->index.by_hash, sig->hash, sig->next);
        else
            (void)us_idmap_erase(&e->index.by_hash, sig->hash, NULL);
        return;
    }
    uint32_t prev = first;
    while (e->index.sigs[prev].next != s)
        prev = e->index.sigs[prev].next;
    e->index.sigs[prev].next = sig->next;
}

bool us_index_find(const usher_engine *e, const us_sig_key *key, uint32_t *sig)
{
    *sig = find_sig(e, sig_hash(e, key), key);
    return *sig != US_NONE;
}

usher_status us_index_acquire(usher_engine *e, const us_sig_key *key, uint32_t *out)
{
    uint64_t hash = sig_hash(e, key);
    uint32_t s = find_sig(e, hash, key);
    if (s != US_NONE) {
        e->index.sigs[s].refs++;
        *out = s;
        return USHER_OK;
    }
    usher_status st = reserve_sig_slot(e);
    if (st == USHER_OK)
        st = us_idmap_reserve(&e->index.by_hash, 1);
    if (st != USHER_OK)
        return st;
    s = e->index.free_head;
    us_sig *sig = &e->index.sigs[s];
    st = build_sig(e, sig, key);
    if (st != USHER_OK)
        return st;
    e->index.free_head = sig->next;
    sig->hash = hash;
    sig->refs = 1;
    sig->members = 0;
    sig->heap_size = 0;
    sig->mark = 0;
    sig->waiting = 0;
    sig->buckets = US_NONE;
    sig->head = sig->tail = no_ref;
    sig->listed = 0;
    sig->building = listed(sig); /* filled through the heap, then listed in order */
    link_sig(e, s);
    for (uint32_t slot = 0; slot < e->agents.slots; slot++)
        if (us_agent_at(e, slot)->live && agent_meets(us_agent_at(e, slot), sig))
            add_membership(e, slot, s);
    if (listed(sig))
        heap_to_list(e, sig);
    *out = s;
    return USHER_OK;
}

void us_index_release(usher_engine *e, uint32_t s)
{
    us_sig *sig = &e->index.sigs[s];
    if (--sig->refs > 0)
        return;
    for (uint32_t slot = 0; slot < e->agents.slots && sig->members > 0; slot++) {
        us_agent *a = us_agent_at(e, slot);
        for (size_t m = 0; a->live && m < a->member_count; m++) {
            if (a->members[m].sig == s) {
                remove_membership(e, slot, (uint32_t)m);
                break;
            }
        }
    }
    unlink_sig(e, s);
    free_sig_arrays(e, sig);
    memset(sig, 0, sizeof *sig);
    sig->next = e->index.free_head;
    e->index.free_head = s;
}

/* ---- snapshot restore ------------------------------------------------------------- */

usher_status us_index_restore_sig(usher_engine *e, uint32_t s, const us_sig_key *key)
{
    uint64_t hash = sig_hash(e, key);
    if (find_sig(e, hash, key) != US_NONE)
        return USHER_ECORRUPT; /* two signatures of one key */
    usher_status st = us_idmap_reserve(&e->index.by_hash, 1);
    if (st != USHER_OK)
        return st;
    us_sig *sig = &e->index.sigs[s];
    if (copy_key(e, sig, key) != USHER_OK)
        return USHER_ENOMEM;
    sig->hash = hash;
    sig->buckets = US_NONE;
    sig->head = sig->tail = no_ref;
    link_sig(e, s);
    return USHER_OK;
}

void us_index_restore_member(usher_engine *e, uint32_t agent, uint32_t m, uint32_t s)
{
    us_agent *a = us_agent_at(e, agent);
    us_sig *sig = &e->index.sigs[s];
    a->members[m] = (us_membership){s, US_NONE, skill_score(a, sig), 0, no_ref, no_ref};
    sig->members++;
}

usher_status us_index_restore_room(usher_engine *e, uint32_t s)
{
    us_sig *sig = &e->index.sigs[s];
    return grow_heap(e, sig, sig->members ? sig->members : 1);
}

void us_index_restore_file(usher_engine *e, uint32_t agent, uint32_t m, uint64_t key)
{
    us_sig *sig = &e->index.sigs[us_agent_at(e, agent)->members[m].sig];
    if (listed(sig)) {
        link_after(e, sig, (us_mref){agent, m}, sig->tail);
        return;
    }
    us_heap_entry entry = {agent, m, key, 0};
    if (sig->strategy != USHER_STRATEGY_RANDOM)
        set_keys(e, sig, &entry);
    heap_put(e, sig, sig->heap_size++, entry);
}

/* ---- brute-force check ------------------------------------------------------------ */

static bool eligible_now(const usher_engine *e, const us_agent *a, uint32_t channel)
{
    return us_agent_open_for_work(e, a) && us_agent_room(e, a, channel) > 0;
}

/* What the index must hold follows the agents' ready masks (checked against
 * the agents' state separately, by us_index_check()). */
static bool agent_consistent(const usher_engine *e, const us_agent *a, uint32_t slot)
{
    for (size_t m = 0; m < a->member_count; m++) {
        const us_membership *mb = &a->members[m];
        if (mb->sig >= e->index.slots)
            return false;
        const us_sig *sig = &e->index.sigs[mb->sig];
        if (sig->refs == 0 || !agent_meets(a, sig) || mb->score != skill_score(a, sig))
            return false;
        bool in_heap = mb->heap_pos != US_NONE;
        if (ready_for(a, sig) && !in_heap) /* the heap is lazy the other way */
            return false;
        if (listed(sig)) {
            if (in_heap != ready_for(a, sig) ||
                (in_heap && (mb->heap_pos != US_IN_LIST || mb->key != a->idle_since)))
                return false; /* lists are exact */
            continue;
        }
        if (in_heap && (mb->heap_pos >= sig->heap_size || sig->heap[mb->heap_pos].agent != slot ||
                        sig->heap[mb->heap_pos].member != m))
            return false;
        if (in_heap && lazy_keys(sig) && sig->heap[mb->heap_pos].key > a->idle_since)
            return false; /* filed keys may only lag */
        if (in_heap && !lazy_keys(sig)) {
            us_heap_entry now = sig->heap[mb->heap_pos];
            set_keys(e, sig, &now);
            if (now.key != sig->heap[mb->heap_pos].key || now.idle != sig->heap[mb->heap_pos].idle)
                return false; /* eager keys are current */
        }
        for (size_t other = 0; other < m; other++)
            if (a->members[other].sig == mb->sig)
                return false;
    }
    return true;
}

/* True if r names a membership of signature s of a live agent. */
static bool member_of(const usher_engine *e, us_mref r, uint32_t s)
{
    if (r.agent >= e->agents.slots)
        return false;
    const us_agent *a = us_agent_at(e, r.agent);
    return a->live && r.member < a->member_count && a->members[r.member].sig == s;
}

/* The list links both ways, in idle order, and holds exactly the eligible
 * members. */
static bool list_consistent(const usher_engine *e, uint32_t s, size_t eligible)
{
    const us_sig *sig = &e->index.sigs[s];
    size_t n = 0;
    us_mref prev = no_ref;
    for (us_mref r = sig->head; is_ref(r); r = member_at(e, r)->next) {
        if (!member_of(e, r, s))
            return false;
        const us_membership *mb = member_at(e, r);
        if (++n > sig->members || mb->heap_pos != US_IN_LIST || mb->prev.agent != prev.agent ||
            mb->prev.member != prev.member || (is_ref(prev) && member_at(e, prev)->key > mb->key))
            return false;
        prev = r;
    }
    return n == eligible && n == sig->listed && sig->heap_size == 0 &&
           sig->tail.agent == prev.agent && sig->tail.member == prev.member;
}

/* Every heap entry names a membership of the signature that knows its
 * place. */
static bool heap_linked(const usher_engine *e, uint32_t s)
{
    const us_sig *sig = &e->index.sigs[s];
    for (size_t pos = 0; pos < sig->heap_size; pos++) {
        us_heap_entry entry = sig->heap[pos];
        if (!member_of(e, (us_mref){entry.agent, entry.member}, s) ||
            member_at(e, (us_mref){entry.agent, entry.member})->heap_pos != pos)
            return false;
    }
    return true;
}

static bool sig_consistent(const usher_engine *e, uint32_t s)
{
    const us_sig *sig = &e->index.sigs[s];
    size_t meet = 0, eligible = 0;
    for (uint32_t slot = 0; slot < e->agents.slots; slot++) {
        const us_agent *a = us_agent_at(e, slot);
        if (a->live && agent_meets(a, sig)) {
            meet++;
            eligible += ready_for(a, sig);
        }
    }
    size_t filed = listed(sig) ? sig->listed : sig->heap_size;
    if (meet != sig->members || eligible > filed || filed > meet || sig->heap_capacity < meet ||
        sig->building || sig->heap_size > sig->heap_capacity || !heap_linked(e, s))
        return false;
    for (size_t pos = 1; pos < sig->heap_size; pos++)
        if (before(e, sig->heap[pos], sig->heap[(pos - 1) / 2]))
            return false;
    return !listed(sig) || list_consistent(e, s, eligible);
}

/* A live signature is found by its own key through the hash map. */
static bool sig_findable(const usher_engine *e, uint32_t s)
{
    const us_sig *sig = &e->index.sigs[s];
    us_sig_key key = {sig->channel, sig->strategy, sig->reqs, sig->req_count, sig->prefs,
                      sig->pref_count};
    return sig->hash == sig_hash(e, &key) && find_sig(e, sig->hash, &key) == s;
}

/* Free slots are exactly those of the free list, and every chain of equal
 * hashes holds live signatures of that hash. */
static bool slots_consistent(const usher_engine *e, size_t live)
{
    const us_index *x = &e->index;
    size_t free_count = 0;
    for (uint32_t s = x->free_head; s != US_NONE; s = x->sigs[s].next)
        if (s >= x->slots || x->sigs[s].refs != 0 || ++free_count > x->slots - live)
            return false;
    if (free_count != x->slots - live)
        return false;
    uint32_t cursor = 0, first, heads = 0;
    uint64_t hash;
    while (us_idmap_next(&x->by_hash, &cursor, &hash, &first)) {
        size_t chain = 0;
        for (uint32_t s = first; s != US_NONE; s = x->sigs[s].next)
            if (s >= x->slots || x->sigs[s].refs == 0 || x->sigs[s].hash != hash ||
                ++chain > live)
                return false;
        heads++;
    }
    return heads == us_idmap_count(&x->by_hash);
}

bool us_index_check(const usher_engine *e)
{
    for (uint32_t slot = 0; slot < e->agents.slots; slot++) {
        const us_agent *a = us_agent_at(e, slot);
        for (uint32_t c = 0; a->live && c < USHER_MAX_CHANNELS; c++)
            if (((a->ready_mask >> c) & 1u) != eligible_now(e, a, c))
                return false;
    }
    return us_index_check_filed(e);
}

bool us_index_check_filed(const usher_engine *e)
{
    size_t member_total = 0;
    for (uint32_t slot = 0; slot < e->agents.slots; slot++) {
        const us_agent *a = us_agent_at(e, slot);
        if (a->live && !agent_consistent(e, a, slot))
            return false;
        if (a->live)
            member_total += a->member_count;
    }
    size_t sig_members = 0, live = 0;
    for (uint32_t s = 0; s < e->index.slots; s++) {
        const us_sig *sig = &e->index.sigs[s];
        if (sig->refs == 0)
            continue;
        if (!sig_consistent(e, s) || !sig_findable(e, s))
            return false;
        sig_members += sig->members;
        live++;
    }
    return member_total == sig_members && slots_consistent(e, live);
}
