import KdumpCommandLine
import Testing

@Suite struct GetoptParserTests {
    let options = [
        GetoptOption(long: "name", short: "n", takesValue: true),
        GetoptOption(long: "verbose", short: "v", takesValue: false),
    ]

    @Test func tokenizesLikeGetoptLong() throws {
        #expect(
            try GetoptParser.tokenize(
                ["-vnx", "a", "--name", "y", "--verbose", "--name=z", "--", "-v"], options: options) == [
                    .option("verbose", value: nil, spelled: "-v"), .option("name", value: "x", spelled: "-n"),
                    .operand("a"),
                    .option("name", value: "y", spelled: "--name"),
                    .option("verbose", value: nil, spelled: "--verbose"),
                    .option("name", value: "z", spelled: "--name"), .operand("-v"),
                ])
    }

    @Test(arguments: [["-x"], ["--nam"], ["-n"], ["--name"], ["--verbose=1"]])
    func rejects(arguments: [String]) {
        #expect(throws: GetoptError.self) { try GetoptParser.tokenize(arguments, options: options) }
    }
}
