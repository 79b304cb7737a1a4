export declare class SessionError extends Error {
    readonly code: string;
    constructor(code: string, message: string);
}
