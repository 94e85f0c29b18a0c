/**
 * TufScheduleState: the one piece of the TUF repository that is state rather than derived: each
 * role's version and expiry (lib/tuf-schedule.ts). A dynamic resource, because only a provider sees
 * the previous `up`'s values and the clock of this one: its diff asks whether any role's content
 * changed or falls inside the renewal window, so an unchanged stack previews no change and an `up`
 * inside the window shows exactly the re-signing it will do.
 *
 * It never replaces itself (versions would restart at 1 and every client would refuse them as a
 * rollback): the diff never asks for a replacement, and prod protects it.
 */
import * as pulumi from "@pulumi/pulumi";
import { planTufSchedule, TufSchedule, TufScheduleInputs, tufScheduleChanges } from "../lib/tuf-schedule";

/** The provider's inputs and outputs: the plan's inputs, and after an `up`, the schedule. */
type Props = TufScheduleInputs & { schedule?: TufSchedule };

const inputKeys: Array<keyof TufScheduleInputs> = ["rootBody", "targetsDigest", "keyIds", "expiryDays", "renewalDays"];

/** Serialized into the state with the lib module it calls (which imports nothing), and run by the engine's Node.js dynamic provider host. */
export const tufScheduleProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: Props) {
        return { id: "tuf-schedule", outs: { ...inputs, schedule: planTufSchedule(undefined, inputs, Date.now()) } };
    },
    async diff(_id: string, olds: Props, news: Props) {
        const inputsChanged = inputKeys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
        const rolesChanged = tufScheduleChanges(olds.schedule, news, Date.now());
        return { changes: inputsChanged.length + rolesChanged.length > 0, replaces: [], deleteBeforeReplace: false };
    },
    async update(_id: string, olds: Props, news: Props) {
        return { outs: { ...news, schedule: planTufSchedule(olds.schedule, news, Date.now()) } };
    },
};

export type TufScheduleArgs = { [K in keyof TufScheduleInputs]: pulumi.Input<TufScheduleInputs[K]> };

export class TufScheduleState extends pulumi.dynamic.Resource {
    declare readonly schedule: pulumi.Output<TufSchedule>;

    constructor(name: string, args: TufScheduleArgs, opts?: pulumi.CustomResourceOptions) {
        // Its own type token, so previews and the state name what it is.
        super(tufScheduleProvider, name, { ...args, schedule: undefined }, opts, "tuf", "Schedule");
    }
}
