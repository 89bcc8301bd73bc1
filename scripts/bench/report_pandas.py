#!/usr/bin/env python3
"""The key figures of a programme-year report computed with pandas from CSV exports.

Usage: report_pandas.py CSVDIR PROGRAMME FROM TO DATA_AS_OF [F [W]]

The same inputs, definitions and output as report_duckdb.py (see there); written the way
an analyst would with pandas: read the CSVs, filter, merge, group.
"""
import json
import sys
import time

import pandas as pd


def add_months(dates, months):
    # DateOffset clamps to the month's end (2025-01-31 + 1 month = 2025-02-28), as
    # domain::calendar::add_months does.
    return dates + pd.DateOffset(months=months)


def main():
    csvdir, programme, start, end, as_of = sys.argv[1:6]
    f = int(sys.argv[6]) if len(sys.argv) > 6 else 12
    w = int(sys.argv[7]) if len(sys.argv) > 7 else 6
    t0 = time.perf_counter()
    start, end, as_of = pd.Timestamp(start), pd.Timestamp(end), pd.Timestamp(as_of)
    s = {"dtype": str, "keep_default_na": False, "na_values": [""]}
    referrals = pd.read_csv(f"{csvdir}/referrals.csv", **s,
                            usecols=["referral_ref", "participant_ref", "programme", "referred_on",
                                     "decision", "closure", "closed_on", "required_hours"])
    referrals = referrals[referrals.programme == programme].copy()
    referrals["rn"] = range(len(referrals))
    referrals["referred_on"] = pd.to_datetime(referrals.referred_on)
    referrals["required_hours"] = referrals.required_hours.astype(float)
    participants = pd.read_csv(f"{csvdir}/participants.csv", **s, usecols=["reference", "person_key"])
    sessions = pd.read_csv(f"{csvdir}/sessions.csv", **s,
                           usecols=["session_ref", "programme", "date", "headcount"])
    sessions = sessions[sessions.programme == programme].copy()
    sessions["date"] = pd.to_datetime(sessions.date)
    sessions["headcount"] = sessions.headcount.astype(float).fillna(0).astype("int64")
    attendance = pd.read_csv(f"{csvdir}/attendance.csv", **s)
    attendance["hours"] = attendance.hours.astype(float)
    outcomes = pd.read_csv(f"{csvdir}/outcomes.csv", **s)
    outcomes["rn"] = range(len(outcomes))
    outcomes["value"] = outcomes.value.astype(float)
    measures = pd.read_csv(f"{csvdir}/measures.csv", **s)
    offences = pd.read_csv(f"{csvdir}/offences.csv", dtype=str,
                           usecols=["person_key", "offence_date", "proven_on"])
    offences = offences[offences.proven_on.notna()]
    offences = offences.assign(offence_date=pd.to_datetime(offences.offence_date),
                               proven_on=pd.to_datetime(offences.proven_on))

    att = attendance.merge(sessions[["session_ref", "date"]], on="session_ref").merge(
        referrals[["referral_ref", "participant_ref"]], on="referral_ref")
    first = att[att.status == "attended"].groupby("referral_ref").date.min().rename("first_attended_on")
    rp = referrals[(referrals.referred_on >= start) & (referrals.referred_on <= end)]
    rp = rp.merge(participants, left_on="participant_ref", right_on="reference", how="left")
    rp = rp.merge(first, left_on="referral_ref", right_index=True, how="left")
    accepted = rp.decision == "accepted"
    rp["engaged"] = accepted & rp.first_attended_on.notna()
    rp["completed"] = accepted & (rp.closure == "completed")
    days_first = (rp.first_attended_on - rp.referred_on).dt.days[rp.engaged]
    s_in = sessions[(sessions.date >= start) & (sessions.date <= end)]
    a_in = att[(att.date >= start) & (att.date <= end)]
    attended = a_in[a_in.status == "attended"]
    engagement = {
        "referrals_received": len(rp), "referrals_accepted": int(accepted.sum()),
        "referrals_declined": int((rp.decision == "declined").sum()),
        "referrals_pending": int((rp.decision == "pending").sum()),
        "engaged": int(rp.engaged.sum()), "completed": int(rp.completed.sum()),
        "withdrawn": int((accepted & (rp.closure == "withdrawn")).sum()),
        "disengaged": int((accepted & (rp.closure == "disengaged")).sum()),
        "median_days_to_first_session": None if days_first.empty else float(days_first.median()),
        "hours_required": float(rp.required_hours[accepted].sum()),
        "sessions_delivered": len(s_in), "anonymous_headcount": int(s_in.headcount.sum()),
        "attended": len(attended), "did_not_attend": int((a_in.status == "did_not_attend").sum()),
        "participants_reached": int(attended.participant_ref.nunique()),
        "hours_delivered": float(attended.hours.sum()),
    }

    # The cohort: each participant's earliest referral in the period (ties: export order).
    members = rp.sort_values(["referred_on", "rn"]).drop_duplicates("participant_ref").copy()
    proven_by = add_months(members.referred_on, f + w)
    members["status"] = "awaiting"
    members.loc[members.person_key.notna() & (proven_by <= as_of), "status"] = "measurable"
    members.loc[members.person_key.isna(), "status"] = "unmatched"
    m = members[members.status == "measurable"][["referral_ref", "person_key", "referred_on"]]
    m = m.assign(follow_up_end=add_months(m.referred_on, f), proven_by=add_months(m.referred_on, f + w),
                 before_from=add_months(m.referred_on, -f))
    mo = m.merge(offences, on="person_key")
    reoff = mo[(mo.offence_date > mo.referred_on) & (mo.offence_date <= mo.follow_up_end)
               & (mo.proven_on <= mo.proven_by)]
    before = mo[(mo.offence_date >= mo.before_from) & (mo.offence_date < mo.referred_on)]
    per = reoff.groupby("referral_ref").agg(reoffences=("offence_date", "size"),
                                            first=("offence_date", "min"))
    members = members.merge(per, left_on="referral_ref", right_index=True, how="left")
    members = members.merge(before.groupby("referral_ref").size().rename("offences_before"),
                            left_on="referral_ref", right_index=True, how="left")
    members["reoffences"] = members.reoffences.fillna(0).astype("int64")
    members["offences_before"] = members.offences_before.fillna(0).astype("int64")
    members["days_to_first"] = (members["first"] - members.referred_on).dt.days
    groups = {}
    for group, sel in (("all", slice(None)), ("engaged", members.engaged), ("completed", members.completed)):
        g = members[sel]
        meas = g[g.status == "measurable"]
        reoffenders = meas[meas.reoffences > 0]
        groups[group] = {
            "cohort": len(g), "measurable": len(meas),
            "unmatched": int((g.status == "unmatched").sum()),
            "awaiting_follow_up": int((g.status == "awaiting").sum()),
            "reoffenders": len(reoffenders), "reoffences": int(meas.reoffences.sum()),
            "mean_days_to_first_reoffence": None if reoffenders.empty else float(reoffenders.days_to_first.mean()),
            "median_days_to_first_reoffence": None if reoffenders.empty else float(reoffenders.days_to_first.median()),
        }
        if group == "all":
            before_after = {"members": len(meas), "offences_before": int(meas.offences_before.sum()),
                            "offences_after": int(meas.reoffences.sum())}

    o = outcomes[outcomes.referral_ref.isin(rp.referral_ref)].copy()
    o["recorded_on"] = pd.to_datetime(o.recorded_on)
    o = o.sort_values(["recorded_on", "rn"])
    b = o[o.timepoint == "baseline"].drop_duplicates(["referral_ref", "measure"], keep="first")
    x = o[o.timepoint == "exit"].drop_duplicates(["referral_ref", "measure"], keep="last")
    pairs = b.merge(x, on=["referral_ref", "measure"], suffixes=("_b", "_x")).merge(
        measures[["name", "higher_is_better"]], left_on="measure", right_on="name")
    higher = pairs.higher_is_better.str.lower().isin(["true", "yes", "1"])
    change = pairs.value_x - pairs.value_b
    pairs["better"] = (higher & (change > 0)) | (~higher & (change < 0))
    pairs["worse"] = (higher & (change < 0)) | (~higher & (change > 0))
    pairs["same"] = change == 0
    outcomes_out = {}
    for name, g in pairs.groupby("measure"):
        n = len(g)
        outcomes_out[name] = {"pairs": n, "mean_baseline": float(g.value_b.mean()),
                              "mean_exit": float(g.value_x.mean()),
                              "improved": g.better.sum() / n, "unchanged": g.same.sum() / n,
                              "worsened": g.worse.sum() / n}
    seconds = time.perf_counter() - t0
    json.dump({"engagement": engagement, "reoffending": groups, "before_after": before_after,
               "outcomes": {k: {kk: float(vv) if kk != "pairs" else int(vv) for kk, vv in v.items()}
                            for k, v in outcomes_out.items()}},
              sys.stdout, indent=1, sort_keys=True)
    print(f"seconds={seconds:.4f}", file=sys.stderr)


if __name__ == "__main__":
    main()
